// 3x3 stride-1 convolution by Winograd's minimal filtering F(2x2, 3x3) (Lavin & Gray, "Fast
// Algorithms for Convolutional Neural Networks", 2016): each 2x2 block of output pixels comes from
// a 4x4 block of input through 16 products per (input, output) channel pair instead of 36. The 16
// products of all blocks are 16 GEMMs [blocks x inC] * [inC x outC] between transforms that only
// add and subtract:
//   V = Bt d B (input block d, 4x4),  U = G g Gt (kernel g, 3x3),  Y = At (U . V) A (2x2)
// with Bt = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1], G = [1 0 0; .5 .5 .5; .5 -.5 .5; 0 0 1],
// At = [1 1 1 0; 0 1 -1 -1]. Their entries are 0, +-1 and +-1/2, so the result stays as accurate
// as the direct sum's in float32 (the tests hold it to the same tolerance).
#pragma once

#include <vector>

#include "kernels/conv2d.h"
#include "kernels/gemm.h"

namespace convkit::kernels {

// Points of the transformed 4x4 block: the GEMMs per image.
inline constexpr int kWinogradPoints = 16;

// Whether conv2dForward takes this route: a 3x3 kernel, stride 1, no dilation, enough channels on
// both sides for the 16 GEMMs to run at the micro-kernel's pace, and an output that the 2x2
// blocks cover with little waste (at most a quarter more pixels than it has: an 11x11 output
// takes 6x6 blocks, 144 pixels for 121; a 3x3 one would take 16 for 9).
bool winogradApplies(const Conv2dGeometry& g);

// The 16 transformed kernels U[xi] = (G g Gt)[xi] as [inC x outC] matrices, packed for gemmPackedB.
void packWinogradKernel(const Conv2dGeometry& g, const float* kernel, std::vector<PackedB>& packed);

// output = epilogue(conv2d(input, kernel)) for a geometry where winogradApplies.
void winogradForward(const Conv2dGeometry& g, const float* input, const std::vector<PackedB>& kernel,
                     const GemmEpilogue& epilogue, float* output);

// The kernel gradient through the same transforms, for a geometry where winogradApplies. With
// dM = A dy At for each 2x2 block dy of the output gradient (the output transform's adjoint), the
// gradient of the 16 transformed kernels is dU[xi] = sum over blocks of dM[xi]^T V[xi]: 16 GEMMs
// [outC x blocks] * [blocks x inC], 16 products per channel pair and block where im2col takes 36.
// The kernel's own gradient is then Gt dU G (the kernel transform's adjoint). That last step is
// linear, so callers sum dU over chunks of images and transform once.

// 2x2 output blocks per image: the depth each image adds to the 16 GEMMs.
int64_t winogradBlocksPerImage(const Conv2dGeometry& g);

// Floats of dU, laid out [16][outC][inC].
int64_t winogradTransformedKernelFloats(const Conv2dGeometry& g);

// dU of `count` consecutive images (input and gradOutput point at the first), overwritten.
void winogradTransformedKernelGradient(const Conv2dGeometry& g, const float* input, const float* gradOutput,
                                       int64_t count, float* gradTransformed);

// gradKernel [3, 3, inC, outC] = Gt dU G, overwritten.
void winogradKernelGradient(const Conv2dGeometry& g, const float* gradTransformed, float* gradKernel);

}  // namespace convkit::kernels
