// Whether this process runs under a sanitizer's preloaded runtime (scripts/test-asan.mjs and
// test-tsan.mjs preload libasan or libtsan, which intercept malloc and operator new themselves).
export const underSanitizer = /\blib[a-z]*san\.so/.test(process.env.LD_PRELOAD ?? '');
