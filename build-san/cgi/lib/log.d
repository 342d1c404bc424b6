build-san/cgi/lib/log.o: cgi/lib/log.c cgi/lib/log.h
cgi/lib/log.h:
