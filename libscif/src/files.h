/* Files of a fabric directory (files.c). */
#ifndef LIBSCIF_FILES_H
#define LIBSCIF_FILES_H
#include "internal.h"
#define FILES_PATH_MAX 1024
/* 0 if dir is a real directory of this user that others may not write; else -1 and why. */
int dir_check(const char *dir, char *why, size_t n);
/* Creates dir (and missing parents) with mode 0700, then checks it as dir_check does. */
int dir_create(const char *dir, char *why, size_t n);
/* Whether name is one of the protocol's file names. */
int own_name(const char *name);
/* Opens an existing regular file of this user by name, never through a link. */
int file_open_own(const char *path, int flags, char *why, size_t n);
/* Creates a new file exclusively (mode 0600) of the given size; -1 with errno (EEXIST). */
int file_create_excl(const char *path, off_t size);
/* Deletes a regular file or a link (never a link's target), nothing else. */
int file_delete_own(const char *path);
/* Calls fn for every entry of dir but . and ..; stops at the first non-zero result. */
int dir_each(const char *dir, int (*fn)(const char *dir, const char *name, void *arg), void *arg);
#endif
