// What a transaction applied in parts (state/partial_transaction.h) keeps
// between its parts: in the state, not in memory, so a transaction of any
// size is applied in bounded memory. The entities its changes touched wait
// under keys::kPartialDirty and its occupancy deltas, netted, under
// keys::kPartialOccupancy, until its commit.
//
// At the commit they are read back in the order the in-memory path holds
// them: a std::set of (EntityKind, id) and a std::map of unit -> date sort
// as their keys' bytes do (EntityKind is one ASCII byte, dates are
// sign-flipped big-endian, and a unit id holds no '\0'). So the occupancy is
// applied and the entities are evaluated in the same order, with the same
// state, and emit the same messages byte for byte.
#pragma once

#include <functional>

#include "processors/apply_context.h"
#include "processors/engine.h"
#include "util/status.h"

namespace walguard {

// Moves ctx->touched and ctx->occupancy (netted, added to what earlier parts
// kept) into ctx->kv; both are empty afterwards.
Status KeepPart(ApplyContext* ctx);

// At the commit, after the last part's changes: applies the kept occupancy,
// unit by unit, then evaluates every kept entity, in rounds, appending them
// to *touched when given. Between rounds `commit_part` may commit what
// ctx->kv staged so far (the final batch stays bounded too).
Status EvaluateParts(ApplyContext* ctx, const std::function<Status()>& commit_part, TouchedEntities* touched);

}  // namespace walguard
