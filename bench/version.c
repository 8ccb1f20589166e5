// SPDX-License-Identifier: GPL-2.0
/* The revision this binary was built from (set by the Makefile on every
 * build), so results name the code that produced them. */
#ifndef MMIOBENCH_GIT_REV
#define MMIOBENCH_GIT_REV "nogit"
#endif
#ifndef MMIOBENCH_GIT_DIRTY
#define MMIOBENCH_GIT_DIRTY 0
#endif

const char mmiobench_version[] = "0.1.0";
const char mmiobench_git_rev[] = MMIOBENCH_GIT_REV;
const int mmiobench_git_dirty = MMIOBENCH_GIT_DIRTY;
