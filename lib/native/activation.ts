// Typed view of the activation kernels (filled in with its native binding).
import { addon } from './addon';

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface ActivationKernels {}

export const activationKernels = addon as ActivationKernels;
