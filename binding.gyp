{
  "target_defaults": {
    "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "native"],
    # NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS: an error thrown into an environment that is being
    # torn down (a terminated worker_thread) is dropped instead of thrown again as a C++
    # exception, which would end the whole process in std::terminate.
    "defines": [
      "NAPI_VERSION=8",
      "NODE_ADDON_API_DISABLE_DEPRECATED",
      "NODE_ADDON_API_CPP_EXCEPTIONS",
      "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"
    ],
    "cflags!": ["-fno-exceptions", "-O2", "-O0"],
    "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-O2", "-O0", "-std=gnu++17", "-std=gnu++20"],
    # -fno-trapping-math: we never read floating-point exception flags, and without it GCC will
    # not turn the selects of the elementwise kernels into vector blends. NaN and Inf still behave.
    "cflags": ["-O3", "-fno-trapping-math", "-fvisibility=hidden"],
    "cflags_cc": ["-O3", "-fno-trapping-math", "-std=c++17", "-fexceptions", "-fvisibility=hidden"],
    "xcode_settings": {
      "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
      "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
      "GCC_OPTIMIZATION_LEVEL": "3",
      "OTHER_CPLUSPLUSFLAGS": ["-fno-trapping-math"],
      "MACOSX_DEPLOYMENT_TARGET": "11.0"
    },
    "msvs_settings": {
      "VCCLCompilerTool": { "ExceptionHandling": 1, "AdditionalOptions": ["/std:c++17", "/O2"] }
    }
  },
  "targets": [
    {
      "target_name": "convkit",
      "sources": ["<!@(node native/list-sources.js)"],
      "conditions": [
        ["OS=='linux'", { "ldflags": ["-Wl,--version-script=<(module_root_dir)/native/exports.map"] }],
        ["target_arch=='x64'", {
          "dependencies": ["convkit_avx2", "convkit_avx512"],
          "defines": ["CONVKIT_HAVE_AVX2", "CONVKIT_HAVE_AVX512"]
        }],
        ["target_arch=='arm64'", {
          "dependencies": ["convkit_neon"],
          "defines": ["CONVKIT_HAVE_NEON"]
        }]
      ]
    }
  ],
  "conditions": [
    ["target_arch=='x64'", {
      "targets": [
        {
          "target_name": "convkit_avx2",
          "type": "static_library",
          "sources": ["<!@(node native/list-sources.js --isa avx2)"],
          "cflags": ["<!@(node native/list-sources.js --cflags avx2)"],
          "xcode_settings": { "OTHER_CFLAGS": ["<!@(node native/list-sources.js --cflags avx2)"] },
          "msvs_settings": {
            "VCCLCompilerTool": { "AdditionalOptions": ["<!@(node native/list-sources.js --msvc avx2)"] }
          },
          "conditions": [["OS!='win'", { "cflags": ["-fPIC"] }]]
        },
        {
          "target_name": "convkit_avx512",
          "type": "static_library",
          "sources": ["<!@(node native/list-sources.js --isa avx512)"],
          "cflags": ["<!@(node native/list-sources.js --cflags avx512)"],
          "xcode_settings": { "OTHER_CFLAGS": ["<!@(node native/list-sources.js --cflags avx512)"] },
          "msvs_settings": {
            "VCCLCompilerTool": { "AdditionalOptions": ["<!@(node native/list-sources.js --msvc avx512)"] }
          },
          "conditions": [["OS!='win'", { "cflags": ["-fPIC"] }]]
        }
      ]
    }],
    ["target_arch=='arm64'", {
      "targets": [
        {
          "target_name": "convkit_neon",
          "type": "static_library",
          "sources": ["<!@(node native/list-sources.js --isa neon)"],
          "cflags": ["<!@(node native/list-sources.js --cflags neon)"],
          "conditions": [["OS!='win'", { "cflags": ["-fPIC"] }]]
        }
      ]
    }]
  ]
}
