/*
 * measure: run one command, print its wall time and peak memory.
 *
 *	measure [-o FILE] COMMAND [ARG...]
 *
 * The child's stdout goes to FILE (default /dev/null), its stderr is
 * inherited.  On success stdout gets one line, `SECONDS MAXRSS_KB`: the
 * elapsed time from fork to exit (monotonic clock) and the child's
 * ru_maxrss from wait4.  If the child fails, the cause goes to stderr
 * and the exit status is the child's (128 + signal if it was killed).
 *
 * Used instead of /usr/bin/time, which is not always installed and whose
 * output differs between implementations.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { EX_USAGE_ = 64, EX_OSERR_ = 71 };

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* In the child: stdout to path, then exec; never returns. */
static void
run_child(const char *path, char **argv)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0666);

	if (fd == -1) {
		fprintf(stderr, "measure: cannot open %s: %s\n", path,
		    strerror(errno));
		_exit(EX_OSERR_);
	}
	if (dup2(fd, STDOUT_FILENO) == -1) {
		fprintf(stderr, "measure: dup2: %s\n", strerror(errno));
		_exit(EX_OSERR_);
	}
	close(fd);
	execvp(argv[0], argv);
	fprintf(stderr, "measure: cannot run %s: %s\n", argv[0],
	    strerror(errno));
	_exit(127);
}

int
main(int argc, char **argv)
{
	const char *path = "/dev/null";
	struct rusage ru;
	double start, secs;
	pid_t pid;
	int c, status;

	while ((c = getopt(argc, argv, "+o:")) != -1) {
		if (c != 'o')
			goto usage;
		path = optarg;
	}
	if (optind >= argc)
		goto usage;

	fflush(stdout);
	start = now();
	pid = fork();
	if (pid == -1) {
		fprintf(stderr, "measure: fork: %s\n", strerror(errno));
		return EX_OSERR_;
	}
	if (pid == 0)
		run_child(path, argv + optind);
	while (wait4(pid, &status, 0, &ru) == -1) {
		if (errno != EINTR) {
			fprintf(stderr, "measure: wait4: %s\n",
			    strerror(errno));
			return EX_OSERR_;
		}
	}
	secs = now() - start;

	if (WIFSIGNALED(status)) {
		fprintf(stderr, "measure: %s killed by signal %d\n",
		    argv[optind], WTERMSIG(status));
		return 128 + WTERMSIG(status);
	}
	if (WEXITSTATUS(status) != 0) {
		fprintf(stderr, "measure: %s exited with status %d\n",
		    argv[optind], WEXITSTATUS(status));
		return WEXITSTATUS(status);
	}
	printf("%.6f %ld\n", secs, ru.ru_maxrss);
	return fflush(stdout) == EOF ? EX_OSERR_ : 0;
usage:
	fprintf(stderr, "usage: measure [-o FILE] COMMAND [ARG...]\n");
	return EX_USAGE_;
}
