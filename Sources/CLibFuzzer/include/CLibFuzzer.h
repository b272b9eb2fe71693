#pragma once
#include <stddef.h>
#include <stdint.h>

// libFuzzer's driver (compiler-rt FuzzerInterface.h). SwiftPM gives an executable a Swift entry
// point, so rtd-fuzz's main calls the driver instead of linking libFuzzer's own main.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
