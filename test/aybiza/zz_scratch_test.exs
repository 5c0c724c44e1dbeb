defmodule ZzScratchTest do
  use ExUnit.Case
  import Aybiza.Bedrock.TestHelpers
  alias Aybiza.AWS.BedrockClient

  test "alias" do
    for id <- [
          "anthropic.claude-4-sonnet-20250120",
          "bedrock:claude-haiku-3",
          "claude-sonnet-4-5"
        ] do
      req = %{
        model_id: id,
        messages: [%{role: :user, content: "Hi"}],
        inference_config: %{max_tokens: 50}
      }

      {:ok, ref} = Aybiza.Bedrock.stream(req, region: "us-east-1")
      ev = collect_events(ref)

      IO.inspect(
        {id,
         List.last(ev)
         |> then(fn
           {:done, s} -> s.model_id
           o -> o
         end)}
      )

      r = BedrockClient.generate_response("Hi there", %{}, model_id: id, stream: false)

      IO.inspect(
        {:client, id,
         case r do
           {:ok, s} -> {s.model_id, s[:text]}
           o -> o
         end}
      )
    end
  end
end
