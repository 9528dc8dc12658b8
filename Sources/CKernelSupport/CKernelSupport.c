// The module is its header's inline functions; SwiftPM needs a source file to build a C target.
#include "CKernelSupport.h"
