// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth crash extension: Ctrl-C and progress for the long commands (pktscan,
// slabcheck, dmaf).  A command installs its own SIGINT handler for the duration of a
// scan, so that an interrupt stops the scan cleanly (partial results, files closed)
// instead of crash's longjmp out of the middle of it, and restores crash's handler after.
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dms_ext.h"

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

void dms_interrupt_begin(struct dms_interrupt *in)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigint;
	sigemptyset(&sa.sa_mask);
	interrupted = 0;
	in->installed = sigaction(SIGINT, &sa, &in->old) == 0;
}

void dms_interrupt_end(struct dms_interrupt *in)
{
	if (in->installed)
		sigaction(SIGINT, &in->old, NULL);
	in->installed = false;
}

bool dms_interrupted(void)
{
	return interrupted != 0;
}

double dms_elapsed(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

bool dms_progress_due(struct dms_progress *p)
{
	struct timespec now;

	if (p->quiet || !isatty(STDERR_FILENO))
		return false;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (dms_elapsed(&p->last, &now) < 0.5)
		return false;
	p->last = now;
	p->shown = true;
	return true;
}

void dms_progress_clear(struct dms_progress *p)
{
	if (p->shown)
		fprintf(stderr, "\r%78s\r", "");
	p->shown = false;
}
