-- wrk: POST with the demo token (wrk -H cannot change the method).
wrk.method = "POST"
wrk.headers["Authorization"] = "merixstudio"
