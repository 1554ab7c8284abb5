// Winograd F(4x4, 3x3)'s block sizes and transform matrices (the algorithm is in winograd.h), in
// the ISA room because each ISA's input and output transforms (winograd_transforms.h) are built from
// them, and those include nothing from the operators; winograd.cc transforms the kernel with G.
#pragma once

namespace convkit::kernels {

// Output pixels per block side, input pixels per block side, and points of the transformed
// 6x6 block: the GEMMs per image.
inline constexpr int kWinogradOutputTile = 4;
inline constexpr int kWinogradInputTile = kWinogradOutputTile + 2;
inline constexpr int kWinogradPoints = kWinogradInputTile * kWinogradInputTile;

// The input transform Bt [6 x 6], the kernel transform G [6 x 3] and the output transform At [4 x 6].
inline constexpr float kWinogradBt[kWinogradInputTile][kWinogradInputTile] = {
    {4, 0, -5, 0, 1, 0},  {0, -4, -4, 1, 1, 0}, {0, 4, -4, -1, 1, 0},
    {0, -2, -1, 2, 1, 0}, {0, 2, -1, -2, 1, 0}, {0, 4, 0, -5, 0, 1},
};
inline constexpr float kWinogradG[kWinogradInputTile][3] = {
    {1.0f / 4, 0, 0},
    {-1.0f / 6, -1.0f / 6, -1.0f / 6},
    {-1.0f / 6, 1.0f / 6, -1.0f / 6},
    {1.0f / 24, 1.0f / 12, 1.0f / 6},
    {1.0f / 24, -1.0f / 12, 1.0f / 6},
    {0, 0, 1},
};
inline constexpr float kWinogradAt[kWinogradOutputTile][kWinogradInputTile] = {
    {1, 1, 1, 1, 1, 0},
    {0, 1, -1, 2, -2, 0},
    {0, 1, 1, 4, 4, 0},
    {0, 1, -1, 8, -8, 1},
};

}  // namespace convkit::kernels
