build-san/cgi/lib/cfg.o: cgi/lib/cfg.c cgi/lib/cfg.h
cgi/lib/cfg.h:
