-- wrk: POST with a wrong token (a failed login, counted by auth's budget).
wrk.method = "POST"
wrk.headers["Authorization"] = "wrong-token"
