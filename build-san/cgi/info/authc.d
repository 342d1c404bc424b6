build-san/cgi/info/authc.o: cgi/info/authc.c cgi/info/authc.h \
 cgi/lib/cfg.h
cgi/info/authc.h:
cgi/lib/cfg.h:
