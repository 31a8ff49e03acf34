-- wrk script: a small non-streaming chat completion against kt-mock (see tools/mock/README.md).
wrk.method = "POST"
wrk.body = '{"model":"gpt-4o","messages":[{"role":"user","content":"hello there"}]}'
wrk.headers["Content-Type"] = "application/json"
