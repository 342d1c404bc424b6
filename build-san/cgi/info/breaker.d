build-san/cgi/info/breaker.o: cgi/info/breaker.c cgi/info/breaker.h
cgi/info/breaker.h:
