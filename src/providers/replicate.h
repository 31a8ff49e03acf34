// replicate.h — the Replicate provider: OpenAI chat, completions and image requests become
// Replicate predictions (wire-formats §1–§5) and their results OpenAI answers or chunks.
//
// complete(): creates the prediction with `Prefer: wait=N` (N from the remaining deadline), then
// polls urls.get with a fast-starting backoff until it is terminal — a sync answer is not proof
// of completion — and reads token usage from its metrics. stream(): creates without waiting and
// relays urls.stream token by token (or, for models without a stream, diffs polled output).
// Every prediction is cancelled (urls.cancel, from a detached coroutine) when the attempt ends
// before it does: deadline, client gone, or the coroutine cancelled. Returned URLs are followed
// only per the SSRF rule in replicate_urls.h.
#pragma once

#include "providers/provider.h"

namespace kt::providers {

Provider& replicate_provider();

}  // namespace kt::providers
