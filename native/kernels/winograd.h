// 3x3 stride-1 convolution by Winograd's minimal filtering F(4x4, 3x3) (Lavin & Gray, "Fast
// Algorithms for Convolutional Neural Networks", 2016): each 4x4 block of output pixels comes from
// a 6x6 block of input through 36 products per (input, output) channel pair instead of 144. The 36
// products of all blocks are 36 GEMMs [blocks x inC] * [inC x outC] between linear transforms:
//   V = Bt d B (input block d, 6x6),  U = G g Gt (kernel g, 3x3),  Y = At (U . V) A (4x4)
// with the matrices of isa/winograd_matrices.h, from the interpolation points 0, +-1, +-2 and
// infinity. Compared with F(2x2, 3x3) (16 products per 2x2 block) it does 0.56x the
// multiplications and moves 0.56x the transformed data per output pixel, for transforms of a few
// more terms each. Its coefficients are small integers and 1/4, 1/6, 1/12, 1/24, so the rounding
// error stays within a few times the direct sum's in float32 (the tests hold it to the direct
// sum's tolerance).
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/conv2d.h"
#include "kernels/gemm.h"
#include "kernels/isa/winograd_matrices.h"

namespace convkit::kernels {

// Whether conv2dForward takes this route: a 3x3 kernel, stride 1, no dilation, enough channels on
// both sides for the 36 GEMMs to run at the micro-kernel's pace, and an output of at least one
// whole block whose blocks cost at most half the direct products (36 per block against 9 per
// pixel): an 11x11 output takes 3x3 blocks, 324 products for 1089; a 5x5 one would take 144 for 225.
bool winogradApplies(const Conv2dGeometry& g);

// Which product the transformed kernels are packed for: the forward's, or the input gradient's.
enum class WinogradKernelUse { Forward, BackwardInput };

// The 36 transformed kernels U[xi] = (G g Gt)[xi], packed for gemmPackedB as [inC x outC] matrices
// (Forward) or as their transposes [outC x inC] (BackwardInput).
void packWinogradKernel(const Conv2dGeometry& g, const float* kernel, std::vector<PackedB>& packed,
                        WinogradKernelUse use = WinogradKernelUse::Forward);

// output = epilogue(conv2d(input, kernel)) for a geometry where winogradApplies.
void winogradForward(const Conv2dGeometry& g, const float* input, const std::vector<PackedB>& kernel,
                     const GemmEpilogue& epilogue, float* output);

// gradInput = the input gradient of conv2d(input, kernel) for a geometry where winogradApplies,
// from the kernel packed for BackwardInput, through the forward's blocks run backwards: with
// dM = A dy At for each 4x4 block dy of the output gradient (the output transform's adjoint),
// dV[xi] = dM[xi] U[xi]^T (36 GEMMs [blocks x outC] * [outC x inC]), and each block's B dV Bt (the
// input transform's adjoint) added onto the 6x6 input pixels the block read. It takes the forward's
// blocks, not those of the input gradient seen as a convolution of its own (its output is the
// larger input: 13x13 from kerasMnist's 11x11 output, 16 blocks where the forward has 9).
void winogradBackwardInput(const Conv2dGeometry& g, const float* gradOutput, const std::vector<PackedB>& kernel,
                           float* gradInput);

// The kernel gradient through the same transforms, for a geometry where winogradApplies. With
// dM = A dy At for each 4x4 block dy of the output gradient (the output transform's adjoint), the
// gradient of the 36 transformed kernels is dU[xi] = sum over blocks of dM[xi]^T V[xi]: 36 GEMMs
// [outC x blocks] * [blocks x inC], 36 products per channel pair and block where im2col takes 144.
// The kernel's own gradient is then Gt dU G (the kernel transform's adjoint). That last step is
// linear, so callers sum dU over chunks of images and transform once.

// 4x4 output blocks per image: the depth each image adds to the 36 GEMMs.
int64_t winogradBlocksPerImage(const Conv2dGeometry& g);

// Floats of dU, laid out [36][outC][inC].
int64_t winogradTransformedKernelFloats(const Conv2dGeometry& g);

// dU of `count` consecutive images (input and gradOutput point at the first), overwritten. Given
// the kernel packed for BackwardInput, also the images' input gradient (gradInput points at the
// first image's), as winogradBackwardInput computes it, from the same dM: the two gradients then
// transform the output gradient once.
void winogradTransformedKernelGradient(const Conv2dGeometry& g, const float* input, const float* gradOutput,
                                       int64_t count, float* gradTransformed,
                                       const std::vector<PackedB>* transposedKernel = nullptr,
                                       float* gradInput = nullptr);

// gradKernel [3, 3, inC, outC] = Gt dU G, overwritten.
void winogradKernelGradient(const Conv2dGeometry& g, const float* gradTransformed, float* gradKernel);

}  // namespace convkit::kernels
