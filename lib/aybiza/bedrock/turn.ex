defmodule Aybiza.Bedrock.Turn do
  @moduledoc """
  The path of one voice turn, from `Aybiza.AWS.BedrockClient.generate_response/3` to its one
  terminal message, in the order a call takes it. The modules under
  `lib/aybiza/bedrock/turn/` are the steps written for it; the rest are the older modules
  each step uses, named here so a reader can follow a call without back and forth.

  1. **Options and settings** - `Aybiza.AWS.BedrockClient.generate_response/3` validates
     every option before any network (the one options schema, `validate_options!/1`
     there) and reads the client's settings from `:persistent_term`.
  2. **Routing** - `Aybiza.Bedrock.Turn.Routing`: the region (caller's country) and the
     model (complexity, latency budget, cost, tools; the first of the fallback chain whose
     breaker is not open; the configured `:models`).
  3. **Memory in** - `Aybiza.Bedrock.Turn.Memory`: `memory: call_id` reads the call's
     window from `Aybiza.Bedrock.ConversationMemory` before the history.
  4. **Request** - `Aybiza.Bedrock.Turn.Request`: the one request builder (system prompt
     and voice guidelines, history merged by role, attachments, tools, sampling or
     thinking per model, cache points, guardrail, metadata). Every attempt, fallback model
     and tool round gets its request from it.
  5. **Admission and breakers** - `Aybiza.Bedrock.CircuitBreaker` (per model and region)
     before each attempt.
  6. **The attempt** - `Aybiza.Bedrock.Turn.Relay` (lib/aybiza/bedrock/turn/relay.ex: the
     per-call relay and its guard, one terminal whatever dies) runs the attempts of a call,
     applies `Aybiza.Bedrock.Turn.Policy` between them (retry, fallback, stop; the model
     facts it needs are `Aybiza.Bedrock.Turn.Policy.Models`, read from the catalog) and
     recovers a stream that fails mid-answer without repeating speech.
  7. **Tool rounds** - `Aybiza.Bedrock.Turn.Rounds` (a turn with `%Aybiza.Bedrock.Tool{}`
     tools or memory): each model round is a call of step 6; between rounds
     `Aybiza.Bedrock.Turn.ToolRound` runs the tools in parallel (acknowledgment, approval,
     timeouts, results checked to be JSON).
  8. **Memory out** - when the turn completes, `Turn.Rounds` appends the caller's words,
     the tool exchange and the answer to the call's memory (`Turn.Memory.remember/3`).
  9. **Accounting** - `Aybiza.Bedrock.Turn.Accounting`: one entry per attempt (Bedrock
     bills failed, recovered and cancelled attempts), summed into the summary's `:cost`;
     the telemetry spans (`Aybiza.Bedrock.Telemetry`) and the performance-monitor rows
     (`Aybiza.Bedrock.PerformanceMonitor`) carry the same numbers.

  Files: `turn/routing.ex`, `turn/memory.ex`, `turn/request.ex`, `turn/relay.ex` with
  `turn/policy.ex` and `turn/policy/models.ex`, `turn/rounds.ex` with `turn/tool_round.ex`,
  `turn/accounting.ex` (steps 2 to 9). Older public names still work:
  `Aybiza.AWS.BedrockClient.build_request/4` and `select_model_and_region/4` delegate to
  steps 2 and 4, `Aybiza.Bedrock.ToolLoop` is step 7, and `Aybiza.Bedrock.Recovery`,
  `Aybiza.Bedrock.Policy` and `Aybiza.Bedrock.Policy.Models` (the names before this layout)
  are deprecated aliases of step 6's modules.
  """
end
