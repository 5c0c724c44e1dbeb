defmodule Aybiza.Bedrock.TurnPromisesTest do
  # Issue 14 item 5: aliases resolve to the id that is sent; same-role turns merged wherever a
  # request is built. Changes the client's settings in one test: not async.
  use ExUnit.Case, async: false

  import ExUnit.CaptureLog
  import Aybiza.Bedrock.TestHelpers, only: [unique_region: 0]

  alias Aybiza.AWS.BedrockClient
  alias Aybiza.Bedrock.{Catalog, FakeBackend, Tool, ToolLoop}

  # A name from our design documents (catalog "deprecated_aliases") and a friendly alias.
  @design_name "anthropic.claude-4-sonnet-20250120"
  @friendly "claude-haiku-4-5"

  defp real_id(id), do: Catalog.get!(id).model_id

  describe "aliases resolve to the real id that is sent" do
    test "generate_response/3 with model_id: an alias sends the real id" do
      for alias_name <- [@design_name, @friendly] do
        real = real_id(alias_name)
        refute real == alias_name
        script = FakeBackend.script([])

        capture_log(fn ->
          assert {:ok, summary} =
                   BedrockClient.generate_response("When do you open?", %{},
                     backend: {FakeBackend, script: script},
                     model_id: alias_name,
                     region: unique_region(),
                     stream: false
                   )

          assert summary.model_id == real
        end)

        assert [%{request: %{model_id: ^real}}] = FakeBackend.calls(script)
      end
    end

    test "the design's names in :default_model / :models are replaced by the real id" do
      old = BedrockClient.settings()

      try do
        capture_log(fn ->
          settings = BedrockClient.update_settings(default_model: @design_name)
          assert settings.default_model == "anthropic.claude-sonnet-4-20250514-v1:0"

          settings = BedrockClient.update_settings(models: [@design_name, @friendly])
          assert settings.models == [real_id(@design_name), real_id(@friendly)]
        end)
      after
        BedrockClient.update_settings(default_model: old.default_model, models: old.models)
      end
    end

    test "an unknown model id is an error before any request" do
      script = FakeBackend.script([])

      assert {:error, %Aybiza.Error{reason: :unknown_model}} =
               BedrockClient.generate_response("Hi", %{},
                 backend: {FakeBackend, script: script},
                 model_id: "anthropic.claude-nonexistent-9",
                 stream: false
               )

      assert FakeBackend.calls(script) == []
    end

    test "against the emulator, a design name resolves to Claude Sonnet 4, past end of life" do
      log =
        capture_log(fn ->
          # Sonnet 4 reached end of life on 2026-10-14 (AWS model card): refused before any
          # request, naming its replacement.
          assert {:error, %Aybiza.Error{reason: :model_end_of_life, message: message}} =
                   BedrockClient.generate_response("When do you open?", %{},
                     model_id: @design_name,
                     region: "us-east-1",
                     stream: false,
                     fallback_line: false
                   )

          assert message =~ "anthropic.claude-sonnet-4-20250514-v1:0"
          assert message =~ "2026-10-14"
          assert message =~ "anthropic.claude-sonnet-4-6"
        end)

      # Once per VM, so only when this test is the first to resolve the name.
      if log =~ "does not exist on Bedrock",
        do: assert(log =~ ~s(using "anthropic.claude-sonnet-4-20250514-v1:0"))
    end
  end

  describe "same-role turns are merged wherever a request is built" do
    @history [
      %{role: :user, content: [%{text: "Hi, I need to move my appointment."}]},
      %{role: :assistant, content: [%{text: "Sure, which day works for you?"}]},
      # The caller spoke, was interrupted (barge-in) and spoke again.
      %{role: :user, content: "Friday if possible."}
    ]

    test "build_request/4 merges a history ending in a user turn with the new one" do
      {:ok, request} =
        BedrockClient.build_request(
          "Actually, make it Monday.",
          %{conversation_history: @history},
          [],
          "anthropic.claude-haiku-4-5-20251001-v1:0"
        )

      assert Enum.map(request.messages, & &1.role) == [:user, :assistant, :user]

      assert List.last(request.messages).content == [
               %{text: "Friday if possible."},
               %{text: "Actually, make it Monday."}
             ]
    end

    test "generate_response/3 against the emulator: no ValidationException" do
      assert {:ok, summary} =
               BedrockClient.generate_response(
                 "Actually, make it Monday.",
                 %{conversation_history: @history},
                 model_id: "us.anthropic.claude-haiku-4-5-20251001-v1:0",
                 region: "us-east-1",
                 stream: false
               )

      assert summary.text != ""
    end

    test "a history that opens with the agent's greeting: the greeting is left out" do
      history = [
        %{role: :assistant, content: "Thanks for calling Acme Dental, this is Ava."},
        %{role: "user", content: "Hi, I need to move my appointment."},
        %{role: :assistant, content: [%{text: "Sure, which day works for you?"}]}
      ]

      {:ok, request} =
        BedrockClient.build_request(
          "Monday.",
          %{conversation_history: history},
          [],
          "anthropic.claude-haiku-4-5-20251001-v1:0"
        )

      assert Enum.map(request.messages, &to_string(&1.role)) == ["user", "assistant", "user"]

      # Bedrock (and the emulator) refuse a conversation that starts with an assistant turn.
      assert {:ok, %{text: text}} =
               BedrockClient.generate_response(
                 "Monday.",
                 %{conversation_history: history},
                 model_id: "us.anthropic.claude-haiku-4-5-20251001-v1:0",
                 region: "us-east-1",
                 stream: false
               )

      assert text != ""
    end

    test "the emulator does refuse two user turns in a row (what the merge avoids)" do
      request = %{
        model_id: "us.anthropic.claude-haiku-4-5-20251001-v1:0",
        messages: @history ++ [%{role: :user, content: [%{text: "Monday."}]}],
        inference_config: %{max_tokens: 100}
      }

      assert {:error, %Aybiza.Error{} = error} = Aybiza.Bedrock.converse(request)
      assert error.message =~ "alternate between user and assistant"
    end

    test "ToolLoop merges the caller's same-role turns before the first round" do
      lookup =
        Tool.new!(
          name: "lookup_customer",
          description: "Look up customer information in the CRM system",
          input_schema: %{
            "type" => "object",
            "properties" => %{"customer_id" => %{"type" => "string"}},
            "required" => ["customer_id"]
          },
          execute: fn %{"customer_id" => id} -> {:ok, %{"customer_id" => id, "name" => "Ana"}} end
        )

      request = %{
        model_id: "us.anthropic.claude-haiku-4-5-20251001-v1:0",
        messages: [
          %{role: :user, content: [%{text: "Hello?"}]},
          %{role: "user", content: "lookup_customer C-7 please"}
        ],
        inference_config: %{max_tokens: 512}
      }

      assert {:ok, result} = ToolLoop.run(request, [lookup])

      assert [
               %{role: :user, content: [%{text: "Hello?"}, %{text: "lookup_customer C-7 please"}]}
               | _
             ] = result.messages

      assert result.rounds >= 1
    end
  end
end
