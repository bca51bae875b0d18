#pragma once
// Bare-metal test harnesses around generated C (tests only): programs for
// Cortex-M4 (QEMU mps2-an386) and RV32 (QEMU virt) with their startup code,
// linker scripts and semihosting output, so no C library is involved on the
// targets. The host harness is the library's (codegen/host_check.h).
#include <cstdint>
#include <string>
#include <vector>

#include <fmt/format.h>

namespace bitlab::codegen::testing {

// The target-independent part of the bare-metal harness: runs every embedded
// input, prints "OUT v v v ..." per run through semihosting and, with
// counters, "LAYER i n" (instructions per layer of the first run) and
// "TOTAL n". Needs bl_write0, bl_exit and bl_counter from the target part.
inline std::string bare_main(const std::string& in_type, std::int64_t in_size, const std::string& out_type,
                             std::int64_t out_size, const std::vector<std::vector<std::int64_t>>& inputs) {
  std::string data;
  for (const auto& in : inputs) {
    data += "  {";
    for (std::size_t i = 0; i < in.size(); ++i) data += fmt::format("{}{}", i ? "," : "", in[i]);
    data += "},\n";
  }
  return fmt::format(R"(#include <stdint.h>
#include <string.h>
#include "net.h"
void bl_write0(const char* s);
void bl_exit(int code);
uint32_t bl_counter(void);
#ifndef BL_COUNTER_MASK
#define BL_COUNTER_MASK 0xFFFFFFFFu
#endif
static const {0} inputs[{4}][{1}] = {{
{5}}};
static {2} out[{3}];
static uint32_t layer_start, layer_counts[NET_LAYERS + 1];
static int record;
void bl_layer_hook(int layer) {{
  uint32_t now = bl_counter();
  if (record) layer_counts[layer] = (now - layer_start) & BL_COUNTER_MASK;
  layer_start = bl_counter();
}}
static char* put_long(char* p, long v) {{
  char tmp[24];
  int n = 0;
  unsigned long u = v < 0 ? 0ul - (unsigned long)v : (unsigned long)v;
  if (v < 0) *p++ = '-';
  do {{ tmp[n++] = (char)('0' + u % 10); u /= 10; }} while (u);
  while (n) *p++ = tmp[--n];
  return p;
}}
static char line[{3} * 8 + 32];
int main(void) {{
  int r, i;
  uint32_t t0, total = 0;
  for (r = 0; r < {4}; ++r) {{
    char* p = line;
    record = r == 0;
    t0 = bl_counter();
    layer_start = t0;
    net_run(inputs[r], out);
    if (r == 0) total = (bl_counter() - t0) & BL_COUNTER_MASK;
    memcpy(p, "OUT", 3); p += 3;
    for (i = 0; i < {3}; ++i) {{ *p++ = ' '; p = put_long(p, (long)out[i]); }}
    *p++ = '\n'; *p = 0;
    bl_write0(line);
  }}
  for (i = 0; i < NET_LAYERS; ++i) {{
    char* p = line;
    memcpy(p, "LAYER ", 6); p += 6;
    p = put_long(p, i); *p++ = ' ';
    p = put_long(p, (long)layer_counts[i]); *p++ = '\n'; *p = 0;
    bl_write0(line);
  }}
  {{
    char* p = line;
    memcpy(p, "TOTAL ", 6); p += 6;
    p = put_long(p, (long)total); *p++ = '\n'; *p = 0;
    bl_write0(line);
  }}
  return 0;
}}
)",
                     in_type, in_size, out_type, out_size, inputs.size(), data);
}

// memcpy / memset for -nostdlib builds (the compiler may call them too).
inline const char* kFreestandingLibc = R"(#include <stddef.h>
void* memcpy(void* d, const void* s, size_t n) { unsigned char* a = d; const unsigned char* b = s; while (n--) *a++ = *b++; return d; }
void* memset(void* d, int c, size_t n) { unsigned char* a = d; while (n--) *a++ = (unsigned char)c; return d; }
)";

// Cortex-M4 on QEMU mps2-an386: vector table, reset (copy .data, zero .bss),
// semihosting through BKPT 0xAB, and SysTick as the counter: under
// -icount shift=0 QEMU advances virtual time by 1 ns per instruction and
// SysTick (processor clock, 25 MHz on this board) ticks every 40 ns.
inline const char* kCortexM4Start = R"(#include <stdint.h>
extern uint32_t _estack, _sidata, _sdata, _edata, _sbss, _ebss;
int main(void);
static int semihost(int op, const void* arg) {
  register int r0 __asm__("r0") = op;
  register const void* r1 __asm__("r1") = arg;
  __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}
void bl_write0(const char* s) { semihost(0x04, s); }
void bl_exit(int code) {
  semihost(0x18, (const void*)(code == 0 ? 0x20026 : 0x20023));  /* ApplicationExit / RunTimeErrorUnknown */
  for (;;) {}
}
#define SYST_CSR (*(volatile uint32_t*)0xE000E010)
#define SYST_RVR (*(volatile uint32_t*)0xE000E014)
#define SYST_CVR (*(volatile uint32_t*)0xE000E018)
/* SysTick counts down; bl_counter counts up (24 bits, wraps). */
uint32_t bl_counter(void) { return (0x00FFFFFFu - SYST_CVR) & 0x00FFFFFFu; }
void Reset_Handler(void) {
  uint32_t *s = &_sidata, *d = &_sdata;
  while (d < &_edata) *d++ = *s++;
  for (d = &_sbss; d < &_ebss;) *d++ = 0;
  SYST_RVR = 0x00FFFFFFu;
  SYST_CVR = 0;
  SYST_CSR = 5;  /* enable, processor clock, no interrupt */
  bl_exit(main());
}
void Fault_Handler(void) { bl_write0("FAULT\n"); bl_exit(1); }
__attribute__((section(".vectors"), used)) const uintptr_t bl_vectors[16] = {
  (uintptr_t)&_estack, (uintptr_t)Reset_Handler, (uintptr_t)Fault_Handler, (uintptr_t)Fault_Handler,
  (uintptr_t)Fault_Handler, (uintptr_t)Fault_Handler, (uintptr_t)Fault_Handler, 0, 0, 0, 0,
  (uintptr_t)Fault_Handler, (uintptr_t)Fault_Handler, 0, (uintptr_t)Fault_Handler, (uintptr_t)Fault_Handler};
)";

inline const char* kCortexM4Ld = R"(MEMORY {
  FLASH (rx) : ORIGIN = 0x00000000, LENGTH = 4M
  RAM (rwx)  : ORIGIN = 0x20000000, LENGTH = 4M
}
ENTRY(Reset_Handler)
SECTIONS {
  .text : { KEEP(*(.vectors)) *(.text*) } > FLASH
  .rodata : { *(.rodata*) } > FLASH
  _sidata = LOADADDR(.data);
  .data : { _sdata = .; *(.data*) . = ALIGN(4); _edata = .; } > RAM AT > FLASH
  .bss (NOLOAD) : { _sbss = .; *(.bss*) *(COMMON) . = ALIGN(4); _ebss = .; } > RAM
  _estack = ORIGIN(RAM) + LENGTH(RAM);
}
)";

// RV32 on QEMU virt (machine mode, -bios none): everything in RAM at
// 0x80000000, semihosting through the slli/ebreak/srai sequence, and the
// instret CSR as the counter (under -icount QEMU makes it the instruction count).
inline const char* kRv32Start = R"(#include <stdint.h>
extern uint32_t _sbss, _ebss;
int main(void);
static long semihost(long op, const void* arg) {
  register long a0 __asm__("a0") = op;
  register const void* a1 __asm__("a1") = arg;
  __asm__ volatile(".option push\n.option norvc\n.balign 16\nslli x0, x0, 0x1f\nebreak\nsrai x0, x0, 7\n.option pop"
                   : "+r"(a0) : "r"(a1) : "memory");
  return a0;
}
void bl_write0(const char* s) { semihost(0x04, s); }
void bl_exit(int code) {
  semihost(0x18, (const void*)(uintptr_t)(code == 0 ? 0x20026 : 0x20023));
  for (;;) {}
}
uint32_t bl_counter(void) {
  uint32_t v;
  __asm__ volatile(".option push\n.option arch, +zicsr\ncsrr %0, minstret\n.option pop" : "=r"(v));
  return v;
}
void bl_start(void) {
  uint32_t* d;
  for (d = &_sbss; d < &_ebss;) *d++ = 0;
  bl_exit(main());
}
__asm__(".section .text.start\n.globl _start\n_start:\n  la sp, _estack\n  call bl_start\n1: j 1b\n");
)";

inline const char* kRv32Ld = R"(MEMORY { RAM (rwx) : ORIGIN = 0x80000000, LENGTH = 16M }
ENTRY(_start)
SECTIONS {
  .text : { KEEP(*(.text.start)) *(.text*) } > RAM
  .rodata : { *(.rodata*) *(.srodata*) } > RAM
  .data : { *(.data*) *(.sdata*) } > RAM
  .bss (NOLOAD) : { _sbss = .; *(.sbss*) *(.bss*) *(COMMON) . = ALIGN(4); _ebss = .; } > RAM
  _estack = ORIGIN(RAM) + LENGTH(RAM);
}
)";

}  // namespace bitlab::codegen::testing
