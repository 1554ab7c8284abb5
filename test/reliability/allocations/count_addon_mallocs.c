// Preloaded (LD_PRELOAD) into a Node process by allocations.test.ts: counts the malloc calls made
// off the main thread whose call stack passes through a native addon (a .node file), and prints
// the count to stderr at exit. The main thread is left out because it runs V8 and only crosses
// into the addon to convert arguments; training runs on the other threads.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <execinfo.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static void* (*realMalloc)(size_t);
static atomic_long addonMallocs;
static __thread int counting;  // backtrace and dladdr may allocate themselves

static int calledFromAddon(void) {
  void* frames[8];
  const int depth = backtrace(frames, 8);
  for (int i = 1; i < depth; ++i) {
    Dl_info info;
    if (dladdr(frames[i], &info) && info.dli_fname != NULL && strstr(info.dli_fname, ".node") != NULL) return 1;
  }
  return 0;
}

void* malloc(size_t bytes) {
  if (realMalloc == NULL) realMalloc = (void* (*)(size_t))dlsym(RTLD_NEXT, "malloc");
  if (!counting && syscall(SYS_gettid) != getpid()) {
    counting = 1;
    if (calledFromAddon()) atomic_fetch_add(&addonMallocs, 1);
    counting = 0;
  }
  return realMalloc(bytes);
}

__attribute__((destructor)) static void report(void) {
  fprintf(stderr, "addon mallocs: %ld\n", (long)atomic_load(&addonMallocs));
}
