/* Signal names: "KILL", "SIGKILL", "9" → 9. */
#ifndef NOOK_UTIL_SIGNALS_H
#define NOOK_UTIL_SIGNALS_H

/* The signal a name or number stands for; -1 when unknown. */
int signal_from_name(const char *name);

#endif
