defmodule Aybiza.ProbeCancelRefsTest do
  # Red-team probe: a careless caller cancels with the other API's function. Before the fix,
  # `Aybiza.AWS.BedrockClient.cancel/1` of a raw `Aybiza.Bedrock.stream/2` ref returned :ok
  # and left the call running (barge-in that does not stop the voice), and
  # `Aybiza.Bedrock.cancel/1` of a turn's ref raised ArgumentError in the caller (a call's
  # process crashed by its own barge-in). Both now cancel.
  use ExUnit.Case, async: false

  import Aybiza.Bedrock.TestHelpers

  alias Aybiza.AWS.BedrockClient
  alias Aybiza.Bedrock
  alias Aybiza.Bedrock.Emulator

  @moduletag :emulator
  @model "us.anthropic.claude-haiku-4-5-20251001-v1:0"

  setup do
    long = String.duplicate("Word by word we go. ", 200)
    rules = [[prompt_contains: "", reply: long, pacing: "tps=20,delta_chars=4"]]
    %{client: emulator_opts(start_supervised!({Emulator, rules: rules}))}
  end

  defp cancelled_last!(ref) do
    events = collect_events(ref, 10_000)
    refute_receive {:aybiza_bedrock, ^ref, _}, 200
    assert {:error, %Aybiza.Error{reason: :cancelled}} = List.last(events)
  end

  defp first_text!(ref),
    do: assert_receive({:aybiza_bedrock, ^ref, {kind, _}} when kind in [:text, :sentence], 10_000)

  test "BedrockClient.cancel/1 of a raw stream ref cancels it", %{client: client} do
    request = %{model_id: @model, messages: [%{role: :user, content: "hi"}]}
    {:ok, ref} = Bedrock.stream(request, client)
    first_text!(ref)
    assert BedrockClient.cancel(ref) == :ok
    cancelled_last!(ref)
  end

  test "Bedrock.cancel/1 of a turn's ref cancels the turn", %{client: client} do
    {:ok, ref} =
      BedrockClient.generate_response("hi", %{call_id: "probe-cancel-refs"},
        stream: true,
        model_id: @model,
        client_opts: client
      )

    first_text!(ref)
    assert Bedrock.cancel(ref) == :ok
    cancelled_last!(ref)
  end

  test "other terms: unknown references are left alone, non-references raise" do
    assert BedrockClient.cancel(make_ref()) == :ok
    assert BedrockClient.cancel(:not_a_ref) == :ok
    assert Bedrock.cancel(make_ref()) == :ok
    assert Bedrock.cancel(Aybiza.Native.segmenter_new([])) == :ok
    assert_raise ArgumentError, fn -> Bedrock.cancel(:not_a_ref) end
    assert_raise ArgumentError, fn -> Bedrock.cancel({:ok, make_ref()}) end
  end

  test "Bedrock.cancel/1 of a turn that already ended is :ok", %{client: client} do
    {:ok, ref} =
      BedrockClient.generate_response("hi", %{call_id: "probe-cancel-refs-2"},
        stream: true,
        model_id: @model,
        client_opts: client
      )

    first_text!(ref)
    assert BedrockClient.cancel(ref) == :ok
    cancelled_last!(ref)
    assert Bedrock.cancel(ref) == :ok
    assert Bedrock.cancel(ref) == :ok
  end
end
