// Typed view of the training kernels (filled in with its native binding).
import { addon } from './addon';

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface TrainingKernels {}

export const trainingKernels = addon as TrainingKernels;
