#ifndef LUNZHI_CLIBEDIT_SHIM_H
#define LUNZHI_CLIBEDIT_SHIM_H

/* Debian's libedit (BSD licensed) with its readline-compatible interface: line editing and
   history for the interactive console client. */
#include <stdio.h>
#include <editline/readline.h>

#endif
