build-san/cgi/auth/tokens.o: cgi/auth/tokens.c cgi/auth/tokens.h \
 cgi/lib/cfg.h
cgi/auth/tokens.h:
cgi/lib/cfg.h:
