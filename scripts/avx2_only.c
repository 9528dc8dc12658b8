/*
 * An AVX-512 CPU that reports itself as AVX2-only to one program, for `make bench`.
 *
 * onnxruntime picks its kernels from the CPUID instruction and has no setting to keep to AVX2,
 * so on an AVX-512 machine it cannot be compared with Stratum's AVX2 kernels on equal terms.
 * Linux can make CPUID fault in user space where the CPU supports it (`cpuid_fault` in
 * /proc/cpuinfo; arch_prctl(ARCH_SET_CPUID, 0)). Preloaded (LD_PRELOAD), this library turns
 * that on at load time and answers each faulting CPUID from its SIGSEGV handler: it runs the
 * real instruction with faulting briefly off, clears the AVX-512 feature bits (and AVX-VNNI
 * and AVX-512 BF16, which AVX2-only EPYCs lack), and steps over the instruction.
 *
 * What it covers and what not:
 *   - CPUID executed after the library loaded, in every thread (the setting is per thread and
 *     new threads inherit it; exec clears it, and the preload sets it again in the new program).
 *   - Not the CPUID glibc executes before any library loads: pair it with
 *     GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX512F,… so that glibc's own string functions keep
 *     to AVX2 as well (scripts/bench.sh does).
 *   - Not /proc/cpuinfo, which Stratum reads (STRATUM_SIMD=avx2 keeps Stratum to AVX2).
 *   - A program that installs its own SIGSEGV handler after this one replaces it; Python and
 *     onnxruntime do not.
 * The hardware is unchanged: this shows which kernels each engine picks on an AVX2-only CPU
 * and how they run on this core, not how an AVX2-only core of another generation runs them.
 *
 * Built with -DAVX2_ONLY_CHECK it is instead a program that prints what CPUID reports,
 * `avx512f=B avx2=B` (or, given `crash`, dereferences NULL), which scripts/avx2-only.sh runs
 * under the library to check that it took effect and that real faults still crash.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>

#ifdef AVX2_ONLY_CHECK
#include <cpuid.h>
#include <stddef.h>
#include <string.h>

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "crash") == 0) {
        /* A real fault must still end the program (the handler passes it on). */
        volatile int *nowhere = NULL;
        return *nowhere;
    }
    unsigned a, b, c, d;
    __cpuid_count(7, 0, a, b, c, d);
    printf("avx512f=%u avx2=%u\n", (b >> 16) & 1, (b >> 5) & 1);
    return 0;
}

#else
#include <asm/prctl.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#define BIT(n) (1u << (n))

static long set_cpuid_enabled(int enabled) { return syscall(SYS_arch_prctl, ARCH_SET_CPUID, enabled); }

static struct sigaction previous;

static void on_segv(int signal, siginfo_t *info, void *context) {
    ucontext_t *uc = context;
    greg_t *regs = uc->uc_mcontext.gregs;
    const uint8_t *ip = (const uint8_t *)regs[REG_RIP];
    if (info->si_code != SI_KERNEL || ip[0] != 0x0f || ip[1] != 0xa2) {
        /* A real fault: hand it to whoever handled SIGSEGV before, or crash as usual. */
        sigaction(SIGSEGV, &previous, NULL);
        return;
    }
    uint32_t leaf = (uint32_t)regs[REG_RAX], subleaf = (uint32_t)regs[REG_RCX];
    uint32_t a, b, c, d;
    set_cpuid_enabled(1);
    __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(leaf), "c"(subleaf));
    set_cpuid_enabled(0);
    if (leaf == 7 && subleaf == 0) {
        /* EBX: AVX512F, DQ, IFMA, PF, ER, CD, BW, VL. */
        b &= ~(BIT(16) | BIT(17) | BIT(21) | BIT(26) | BIT(27) | BIT(28) | BIT(30) | BIT(31));
        /* ECX: AVX512_VBMI, VBMI2, VNNI, BITALG, VPOPCNTDQ. */
        c &= ~(BIT(1) | BIT(6) | BIT(11) | BIT(12) | BIT(14));
        /* EDX: AVX512_4VNNIW, 4FMAPS, VP2INTERSECT, AMX-BF16, AVX512_FP16, AMX-TILE, AMX-INT8. */
        d &= ~(BIT(2) | BIT(3) | BIT(8) | BIT(22) | BIT(23) | BIT(24) | BIT(25));
    } else if (leaf == 7 && subleaf == 1) {
        /* EAX: AVX-VNNI, AVX512_BF16, AVX-IFMA. */
        a &= ~(BIT(4) | BIT(5) | BIT(23));
    }
    regs[REG_RAX] = a;
    regs[REG_RBX] = b;
    regs[REG_RCX] = c;
    regs[REG_RDX] = d;
    regs[REG_RIP] += 2;
}

__attribute__((constructor)) static void start_faulting(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = on_segv;
    action.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&action.sa_mask);
    sigaction(SIGSEGV, &action, &previous);
    if (set_cpuid_enabled(0) != 0) {
        perror("avx2_only: arch_prctl(ARCH_SET_CPUID, 0) (does /proc/cpuinfo list cpuid_fault?)");
        _exit(70);
    }
}
#endif
