#ifndef STRATUM_CSPINPAUSE_H
#define STRATUM_CSPINPAUSE_H

/// Tells the core that the calling thread is spinning, waiting for another (x86 PAUSE,
/// ARM YIELD): the loop then takes fewer of the core's resources, which matters when the
/// thread it waits for runs on the same physical core (SMT siblings, as a virtual machine's
/// vCPUs can be without saying so), and leaves the loop without a memory-order misspeculation.
static inline void stratum_spin_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
    __asm__ __volatile__("yield");
#endif
}

#endif
