// Typed view of the loss kernels (filled in with its native binding).
import { addon } from './addon';

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface LossKernels {}

export const lossKernels = addon as LossKernels;
