// Readers for the geometry and options objects that several bindings share (a conv2d call and a
// conv2d layer of a network describe their window the same way).
#pragma once

#include <napi.h>

#include "binding/args.h"
#include "kernels/activation.h"
#include "kernels/conv2d.h"
#include "kernels/pooling.h"

namespace convkit::binding {

// { batch (when withBatch), inHeight, inWidth, inChannels, outChannels, kernelHeight, kernelWidth,
//   strideHeight?, strideWidth?, dilationHeight?, dilationWidth?, padding? }; derives the output
// size and throws a RangeError when the dilated kernel does not fit the padded input.
kernels::Conv2dGeometry readConv2dGeometry(Args& args, const Napi::Object& params, bool withBatch);

// The same fields with depthMultiplier? (default 1) in place of outChannels, for a depthwise
// convolution: outChannels = inChannels * depthMultiplier.
kernels::Conv2dGeometry readDepthwiseConv2dGeometry(Args& args, const Napi::Object& params, bool withBatch);

// { batch (when withBatch), inHeight, inWidth, channels, poolHeight, poolWidth, strideHeight?,
//   strideWidth?, padding? }; strides default to the pool size, as in Keras.
kernels::Pool2dGeometry readPool2dGeometry(Args& args, const Napi::Object& params, bool withBatch);

// { outHeight, outWidth, padTop, padBottom, padLeft, padRight } for JavaScript; bottom/right are
// the padding the last window actually reaches.
Napi::Object conv2dGeometryObject(Napi::Env env, const kernels::Conv2dGeometry& g);
Napi::Object pool2dGeometryObject(Napi::Env env, const kernels::Pool2dGeometry& g);

// 'linear' | 'relu' | 'leakyRelu' | 'elu' | 'sigmoid' | 'tanh' | 'softmax'
kernels::Activation readActivation(Args& args, const Napi::Object& params, const char* field);

// An activation whose derivative follows from its output (kernels::derivativeFollowsFromOutput),
// read from params.activation ('linear' by default, 'relu' or 'leakyRelu') and
// params.activationAlpha (leakyRelu's slope, >= 0). `purpose` ends the error for any other.
struct OutputActivation {
  kernels::Activation kind = kernels::Activation::Linear;
  float alpha = 0.0f;
};
OutputActivation readOutputActivation(Args& args, const Napi::Object& params, const char* purpose);

}  // namespace convkit::binding
