defmodule Aybiza.RequestMetadataTest do
  # requestMetadata follows Bedrock's shape (1-16 entries; keys and values of
  # [a-zA-Z0-9\s:_@$#=/+,-.], keys 1-256 and values 0-256 characters: bedrock-runtime
  # service model 2023-09-30, as in botocore 1.44.8). What Bedrock would refuse with a
  # ValidationException is refused before the network, without echoing the value (the
  # member is `sensitive` in Bedrock's model).
  use ExUnit.Case, async: true

  import Aybiza.Bedrock.TestHelpers

  alias Aybiza.AWS.BedrockClient
  alias Aybiza.Bedrock
  alias Aybiza.Bedrock.Emulator
  alias Aybiza.Error

  @haiku "anthropic.claude-haiku-4-5-20251001-v1:0"

  setup do
    emulator = start_supervised!({Emulator, rules: [%{reply: "Sure."}]}, id: make_ref())
    %{emulator: emulator, opts: emulator_opts(emulator)}
  end

  defp request(meta) do
    %{
      model_id: @haiku,
      messages: [%{role: :user, content: [%{text: "Hi"}]}],
      request_metadata: meta
    }
  end

  test "raw stream: valid metadata goes out, invalid is :invalid_request before the network",
       %{emulator: emulator, opts: opts} do
    {:ok, ref} = Bedrock.stream(request(%{"call_id" => "c-42", "phone" => "+1 555 0100"}), opts)
    assert [{:done, _}] = Enum.take(collect_events(ref), -1)
    assert Emulator.counters(emulator)["total_requests"] == 1

    for meta <- [
          %{"call_id" => "secret|value"},
          %{"call;id" => "v"},
          %{"call_id" => String.duplicate("v", 257)},
          Map.new(1..17, &{"k#{&1}", "v"})
        ] do
      assert {:error, %Error{reason: :invalid_request, phase: :before_stream, message: message}} =
               Bedrock.stream(request(meta), opts)

      assert message =~ "request_metadata"
      refute message =~ "secret"
    end

    assert Emulator.counters(emulator)["total_requests"] == 1
  end

  test "the voice turn: a call_id Bedrock would refuse fails before any request", %{
    emulator: emulator,
    opts: opts
  } do
    {:ok, ref} =
      BedrockClient.generate_response("Hi", %{call_id: "call|7"},
        client_opts: opts,
        model_id: @haiku,
        region: "us-east-1"
      )

    assert {:error, %Error{reason: :invalid_request, message: message}} =
             List.last(collect_events(ref))

    assert message =~ "request_metadata"
    assert Emulator.counters(emulator)["total_requests"] == 0
  end
end
