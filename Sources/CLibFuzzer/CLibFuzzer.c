// The module is the header; SwiftPM needs a source file to build a C target.
#include "CLibFuzzer.h"
