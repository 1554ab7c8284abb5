/**
 * convkit: convolutional neural networks for Node.js, with C++ kernels behind a Keras-style API.
 * @packageDocumentation
 */
export { backendInfo } from './backend';
export type { BackendInfo } from './backend';
export { version } from './version';
