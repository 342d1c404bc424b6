build-san/cgi/lib/reqid.o: cgi/lib/reqid.c cgi/lib/reqid.h
cgi/lib/reqid.h:
