defmodule Aybiza.Bedrock.GuardrailTest do
  # Guardrails end to end: guardrail_config and guard_content on the raw request, the trace
  # decoded by the engine, and `guardrail_intervened` handled by the failure policy of the
  # voice turn (the blocked message spoken, no retry, no fallback), against the emulator.
  use ExUnit.Case, async: true

  import Aybiza.Bedrock.TestHelpers

  alias Aybiza.AWS.BedrockClient
  alias Aybiza.Bedrock
  alias Aybiza.Bedrock.{Emulator, FakeBackend}
  alias Aybiza.Error

  @moduletag :emulator

  @haiku "anthropic.claude-haiku-4-5-20251001-v1:0"
  @blocked_in "I can't discuss that topic on this line."
  @blocked_out "Sorry, I can't share that answer."

  # Sends the request with `guardrail_config` (the turn API's `guardrail:` option does the
  # same); everything else is the real native backend.
  defmodule GuardedNative do
    @behaviour Aybiza.Bedrock.Backend
    alias Aybiza.Bedrock.Backend.Native

    @impl true
    def stream(request, opts),
      do: Native.stream(guard(request, opts), Keyword.delete(opts, :guardrail))

    @impl true
    def converse(request, opts),
      do: Native.converse(guard(request, opts), Keyword.delete(opts, :guardrail))

    @impl true
    def cancel(ref), do: Native.cancel(ref)

    defp guard(request, opts), do: Map.put(request, :guardrail_config, opts[:guardrail])
  end

  setup do
    emulator =
      start_supervised!(
        {Emulator,
         guardrails: [
           %{
             id: "gr7abc",
             versions: ["1"],
             blocked_input_messaging: @blocked_in,
             blocked_outputs_messaging: @blocked_out
           }
         ],
         rules: [
           %{
             prompt_contains: "investment",
             guardrail: %{on: "input", topic: "Investment advice"}
           },
           %{prompt_contains: "account", reply: "It is 4411.", guardrail: %{on: "output"}},
           %{reply: "Happy to help. What else?"}
         ]},
        id: make_ref()
      )

    %{emulator: emulator, opts: emulator_opts(emulator)}
  end

  defp guardrail(trace \\ "enabled"),
    do: %{guardrail_identifier: "gr7abc", guardrail_version: "1", trace: trace}

  defp raw(opts, content, guardrail) do
    request = %{
      model_id: "us." <> @haiku,
      messages: [%{role: :user, content: content}],
      guardrail_config: guardrail
    }

    {:ok, ref} = Bedrock.stream(request, opts)
    collect_events(ref)
  end

  describe "raw requests" do
    test "a blocked prompt: the blocked message, the stop reason and the decoded trace", %{
      opts: opts
    } do
      events =
        raw(
          opts,
          [
            %{text: "Context: a bank's phone line."},
            %{guard_content: %{text: %{text: "Any investment tips?", qualifiers: ["query"]}}}
          ],
          guardrail()
        )

      assert {:stop_reason, :guardrail_intervened} in events

      assert [trace] = for({:guardrail_trace, t} <- events, do: t)

      assert %{
               "input_assessment" => %{
                 "gr7abc" => %{
                   "topic_policy" => %{
                     "topics" => [
                       %{"name" => "Investment advice", "action" => "BLOCKED", "type" => "DENY"}
                     ]
                   }
                 }
               },
               "action_reason" => "Guardrail blocked."
             } = trace

      assert {:done, summary} = List.last(events)
      assert summary.text == @blocked_in
      assert summary.stop_reason == :guardrail_intervened
      assert summary.guardrail_trace == trace
    end

    test "a blocked answer: the model's output is in the trace", %{opts: opts} do
      events = raw(opts, "What is my account number?", guardrail("enabled_full"))
      assert {:done, %{text: @blocked_out, guardrail_trace: trace}} = List.last(events)

      assert %{"model_output" => ["It is 4411."], "output_assessments" => %{"gr7abc" => [_]}} =
               trace
    end

    test "no trace unless asked; no guardrail, no intervention", %{opts: opts} do
      events = raw(opts, "Any investment tips?", guardrail("disabled"))
      assert {:done, summary} = List.last(events)
      assert summary.stop_reason == :guardrail_intervened
      refute Map.has_key?(summary, :guardrail_trace)
      refute Enum.any?(events, &match?({:guardrail_trace, _}, &1))

      {:ok, ref} =
        Bedrock.stream(
          %{
            model_id: "us." <> @haiku,
            messages: [%{role: :user, content: "Any investment tips?"}]
          },
          opts
        )

      assert {:done, %{stop_reason: :end_turn}} = List.last(collect_events(ref))
    end

    test "a guardrail Bedrock does not know is its ValidationException", %{opts: opts} do
      events = raw(opts, "Hello", %{guardrail_identifier: "nope", guardrail_version: "1"})

      assert {:error,
              %Error{
                reason: :validation,
                message:
                  "The guardrail identifier or version provided in the request does not exist."
              }} = List.last(events)
    end

    test "bad guardrail values never reach the network", %{opts: opts} do
      for {guardrail, field} <- [
            {%{guardrail_identifier: "Bad_Id", guardrail_version: "1"}, "guardrail_identifier"},
            {%{guardrail_identifier: "g1", guardrail_version: "v1"}, "guardrail_version"},
            {%{guardrail_identifier: "g1", guardrail_version: "1", trace: "loud"}, "trace"}
          ] do
        request = %{
          model_id: "us." <> @haiku,
          messages: [%{role: :user, content: "Hi"}],
          guardrail_config: guardrail
        }

        assert {:error, %Error{reason: :invalid_request, message: message}} =
                 Bedrock.stream(request, opts)

        assert message =~ "guardrail_config.#{field}"
      end

      # Converse (not streaming) has no stream processing mode: refused, not dropped.
      request = %{
        model_id: "us." <> @haiku,
        messages: [%{role: :user, content: "Hi"}],
        guardrail_config: Map.put(guardrail(), :stream_processing_mode, "async")
      }

      assert {:error,
              %Error{
                reason: :invalid_request,
                message: "guardrail_config.stream_processing_mode" <> _
              }} = Bedrock.converse(request, opts)

      assert {:ok, %{text: "Happy to help. What else?"}} =
               Bedrock.converse(Map.put(request, :guardrail_config, guardrail()), opts)

      # Converse decodes the response's trace too.
      blocked = %{request | messages: [%{role: :user, content: "Any investment tips?"}]}

      assert {:ok,
              %{
                text: @blocked_in,
                stop_reason: :guardrail_intervened,
                guardrail_trace: %{"input_assessment" => %{"gr7abc" => _}}
              }} = Bedrock.converse(Map.put(blocked, :guardrail_config, guardrail()), opts)
    end
  end

  describe "the voice turn" do
    defp turn(prompt, opts, extra \\ []) do
      options =
        Keyword.merge(
          [
            backend: {GuardedNative, guardrail: guardrail()},
            client_opts: opts,
            model_id: @haiku,
            region: "us-east-1",
            policy: [random: fn _ -> 0 end],
            breaker: [failure_threshold: 1_000],
            fallback_line: "Let me get someone who can help."
          ],
          extra
        )

      {:ok, ref} = BedrockClient.generate_response(prompt, %{call_id: "gr"}, options)
      collect_events(ref, 20_000)
    end

    test "an intervention is spoken once and ends the call: no retry, no fallback", %{
      opts: opts,
      emulator: emulator
    } do
      events = turn("Any investment tips?", opts)

      assert sentences(events) == [{0, @blocked_in}]
      refute Enum.any?(events, &match?({tag, _} when tag in [:retry, :fallback], &1))
      # the guardrail's own message was spoken: no second apology
      refute Enum.any?(events, &match?({:fallback_line, _}, &1))
      assert [_trace] = for({:guardrail_trace, t} <- events, do: t)

      assert {:error, %Error{reason: :guardrail_intervened, phase: :mid_stream} = error} =
               List.last(events)

      assert %{"input_assessment" => %{"gr7abc" => _}} = error.guardrail
      assert error.model_id =~ @haiku
      assert Emulator.counters(emulator)["total_requests"] == 1
    end

    test "an intervention nobody heard gets the spoken fallback line" do
      trace = %{"input_assessment" => %{"gr1" => %{}}}

      script =
        FakeBackend.script([
          {:events,
           [
             :message_start,
             {:stop_reason, :guardrail_intervened},
             {:done,
              %{
                model_id: @haiku,
                stop_reason: :guardrail_intervened,
                text: "",
                content: [],
                guardrail_trace: trace
              }}
           ]}
        ])

      {:ok, ref} =
        BedrockClient.generate_response("Any investment tips?", %{},
          backend: {FakeBackend, script: script},
          model_id: @haiku,
          region: unique_region(),
          policy: [random: fn _ -> 0 end],
          breaker: [failure_threshold: 1_000],
          fallback_line: "Let me get someone who can help."
        )

      events = collect_events(ref)

      assert [
               {:fallback_line, "Let me get someone who can help."},
               {:error, %Error{reason: :guardrail_intervened, guardrail: ^trace} = error}
             ] = Enum.take(events, -2)

      assert error.phase == :before_stream
      assert length(FakeBackend.calls(script)) == 1
    end
  end
end
