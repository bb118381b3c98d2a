// libmoco.so itself: every exported function lives in moco_core (linked whole-archive), this file
// only gives the shared library a translation unit of its own.
#include "moco.h"
