// Typed view of the pooling kernels (filled in with its native binding).
import { addon } from './addon';

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface PoolingKernels {}

export const poolingKernels = addon as PoolingKernels;
