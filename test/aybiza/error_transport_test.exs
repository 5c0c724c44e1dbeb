defmodule Aybiza.ErrorTransportTest do
  # The same failure gives the same `%Aybiza.Error{}` (reason, phase, retryable?, message up
  # to the transport's name of its last event, whether text was delivered) whether the call
  # went over ConverseStream, the Messages API (SSE) or InvokeModelWithResponseStream: a host
  # app's retry/fallback match on `reason` must not depend on the transport. The failures are
  # the emulator's fault injection; the Rust table (native/aybiza_engine/tests/error_table.rs)
  # covers the failures only a scripted server can make.
  use ExUnit.Case, async: false

  alias Aybiza.Bedrock
  alias Aybiza.Bedrock.Emulator
  alias Aybiza.Bedrock.TestHelpers

  @haiku "anthropic.claude-haiku-4-5-20251001-v1:0"
  @reply "We open at nine tomorrow. The dentist is in at ten thirty and stays until five."

  # fault => {reason, phase}
  @cases [
    {"reset@4", :connect, :mid_stream},
    {"stall@4", :idle_timeout, :mid_stream},
    {"truncate@4", :model_stream_error, :mid_stream},
    {"exception=throttling@4", :throttled, :mid_stream},
    {"error=ThrottlingException", :throttled, :before_stream},
    {"error=ModelNotReadyException", :model_not_ready, :before_stream},
    {"error=ServiceUnavailableException", :service_unavailable, :before_stream},
    {"error=ValidationException", :validation, :before_stream}
  ]

  # The terminal message: the last of the call's events (fails after 15,000 ms).
  defp terminal(ref), do: ref |> TestHelpers.collect_events(15_000) |> List.last()

  defp shape(message) do
    message
    |> String.replace(~r/ \(.*\)$/, "")
    |> String.replace("message_stop", "<last>")
    |> String.replace("messageStop", "<last>")
  end

  defp run(transport, opts) do
    {:ok, ref} =
      case transport do
        :invoke ->
          body = %{"max_tokens" => 100, "messages" => [%{"role" => "user", "content" => "Open?"}]}
          Bedrock.invoke_model_stream(@haiku, body, opts)

        api ->
          request = %{model_id: @haiku, messages: [%{role: :user, content: "When do you open?"}]}
          Bedrock.stream(request, Keyword.put(opts, :api, api))
      end

    assert {:error, %Aybiza.Error{} = e} = terminal(ref)
    e
  end

  for {fault, reason, phase} <- @cases do
    test "#{fault}: #{reason} (#{phase}) on every transport" do
      emulator =
        start_supervised!({Emulator, rules: [%{reply: @reply, faults: unquote(fault)}]},
          id: make_ref()
        )

      opts = TestHelpers.emulator_opts(emulator) ++ [timeouts: [idle: 300, first_byte: 5_000]]

      [first | _] =
        errors =
        for transport <- [:converse, :messages, :invoke] do
          e = run(transport, opts)
          assert e.reason == unquote(reason), "#{transport}: #{inspect(e)}"
          assert e.phase == unquote(phase), "#{transport}: #{inspect(e)}"
          assert e.retryable? == Aybiza.Error.retryable_reason?(e.reason)

          if unquote(phase) == :mid_stream do
            assert e.delivered.text != "", "#{transport}: #{inspect(e)}"
          end

          {transport, e}
        end

      {_, base} = first

      for {transport, e} <- errors do
        assert shape(e.message) == shape(base.message),
               "#{transport}: #{inspect(e.message)} vs converse #{inspect(base.message)}"

        assert e.retryable? == base.retryable?
      end
    end
  end
end
