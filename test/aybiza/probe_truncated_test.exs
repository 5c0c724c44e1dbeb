defmodule Aybiza.ProbeTruncatedTest do
  # A stream the server ends cleanly before its last event (the emulator's `truncate@K`
  # fault: the body ends, no error, no messageStop / message_stop) is not a finished answer:
  # the caller must get a `:model_stream_error` terminal with what was delivered, as the
  # Messages API (SSE) path already does, not `{:done, summary}` with half a sentence.
  use ExUnit.Case, async: false

  alias Aybiza.Bedrock
  alias Aybiza.Bedrock.Emulator
  alias Aybiza.Bedrock.TestHelpers

  @haiku "anthropic.claude-haiku-4-5-20251001-v1:0"
  @reply "We open at nine tomorrow. The dentist is in at ten thirty and stays until five."

  setup do
    emulator =
      start_supervised!({Emulator, rules: [%{reply: @reply, faults: "truncate@4"}]},
        id: make_ref()
      )

    %{opts: TestHelpers.emulator_opts(emulator)}
  end

  # The terminal message: the last of the call's events (fails after 10,000 ms).
  defp terminal(ref), do: ref |> TestHelpers.collect_events(10_000) |> List.last()

  test "Converse: a stream that ends before messageStop is a model_stream_error", %{opts: opts} do
    request = %{model_id: @haiku, messages: [%{role: :user, content: "When do you open?"}]}
    {:ok, ref} = Bedrock.stream(request, opts)

    assert {:error, %Aybiza.Error{reason: :model_stream_error, phase: :mid_stream} = e} =
             terminal(ref)

    assert e.message =~ "messageStop"
  end

  test "InvokeModelWithResponseStream: a stream that ends before message_stop is an error",
       %{opts: opts} do
    body = %{"max_tokens" => 100, "messages" => [%{"role" => "user", "content" => "Open?"}]}
    {:ok, ref} = Bedrock.invoke_model_stream(@haiku, body, opts)

    assert {:error, %Aybiza.Error{reason: :model_stream_error, phase: :mid_stream} = e} =
             terminal(ref)

    assert e.message =~ "message_stop"
  end
end
