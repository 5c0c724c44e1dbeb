defmodule Aybiza.PreflightTest do
  # async: false: the Legacy warning test erases a :persistent_term key and captures logs.
  use ExUnit.Case, async: false

  import ExUnit.CaptureLog

  alias Aybiza.Bedrock
  alias Aybiza.Bedrock.{Catalog, Emulator}

  # Nothing listens on port 1: a rule that did not fire before the network shows as :connect.
  @nowhere [
    endpoint: "http://127.0.0.1:1",
    region: "us-east-1",
    credentials: {:static, "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"},
    timeouts: [connect: 500, first_byte: 500, idle: 500, total: 2_000]
  ]

  defp request(model_id, extra \\ %{}) do
    Map.merge(
      %{
        model_id: model_id,
        messages: [%{role: :user, content: "When do you open?"}],
        inference_config: %{max_tokens: 64}
      },
      extra
    )
  end

  describe "lifecycle" do
    test "an EOL model fails before any network, naming the replacement" do
      for {id, replacement} <- [
            {"us.anthropic.claude-3-5-haiku-20241022-v1:0",
             "anthropic.claude-haiku-4-5-20251001-v1:0"},
            {"anthropic.claude-3-7-sonnet-20250219-v1:0", "anthropic.claude-sonnet-4-6"},
            {"amazon.nova-premier-v1:0", "amazon.nova-2-lite-v1:0"}
          ] do
        assert {:error, %Aybiza.Error{reason: :model_end_of_life, retryable?: false} = e} =
                 Bedrock.converse(request(id), @nowhere)

        assert e.message =~ replacement

        assert {:error, %Aybiza.Error{reason: :model_end_of_life}} =
                 Bedrock.stream(request(id), @nowhere)

        assert {:error, %Aybiza.Error{reason: :model_end_of_life}} =
                 Bedrock.invoke_model(id, %{"max_tokens" => 10, "messages" => []}, @nowhere)

        assert %{state: :eol, replacement: ^replacement} = Catalog.lifecycle(id)
      end
    end

    test "Claude Sonnet 4 and Claude 3 Haiku fail before any network, dated, naming the replacement" do
      # AWS model cards: Claude 3 Haiku EOL 2026-09-10, Claude Sonnet 4 EOL 2026-10-14.
      for {id, date, replacement} <- [
            {"anthropic.claude-sonnet-4-20250514-v1:0", "2026-10-14",
             "anthropic.claude-sonnet-4-6"},
            {"us.anthropic.claude-sonnet-4-20250514-v1:0", "2026-10-14",
             "anthropic.claude-sonnet-4-6"},
            {"anthropic.claude-3-haiku-20240307-v1:0", "2026-09-10",
             "anthropic.claude-haiku-4-5-20251001-v1:0"},
            {"eu.anthropic.claude-3-haiku-20240307-v1:0", "2026-09-10",
             "anthropic.claude-haiku-4-5-20251001-v1:0"}
          ] do
        assert {:error, %Aybiza.Error{reason: :model_end_of_life, retryable?: false} = e} =
                 Bedrock.converse(request(id), @nowhere)

        assert e.message =~ date
        assert e.message =~ replacement

        assert {:error, %Aybiza.Error{reason: :model_end_of_life}} =
                 Bedrock.stream(request(id), @nowhere)

        assert {:error, %Aybiza.Error{reason: :model_end_of_life}} =
                 Bedrock.invoke_model(id, %{"max_tokens" => 10, "messages" => []}, @nowhere)

        # Runtime CountTokens too (it sends no inference request, but the model is gone).
        assert {:error, %Aybiza.Error{reason: :model_end_of_life} = e} =
                 Bedrock.count_tokens(request(id), @nowhere)

        assert e.message =~ replacement
        assert %{state: :eol, eol_date: ^date, replacement: ^replacement} = Catalog.lifecycle(id)
        assert %{state: :active} = Catalog.lifecycle(replacement)
      end
    end

    test "a Legacy model logs one warning with its EOL status, once per model" do
      id = "anthropic.claude-opus-4-1-20250805-v1:0"
      :persistent_term.erase({Catalog, :legacy_warned, id})

      first =
        capture_log(fn ->
          assert {:error, %Aybiza.Error{reason: reason}} =
                   Bedrock.converse(request("us." <> id), @nowhere)

          # Reached the network: refused, or the 2 s budget spent while the SDK retried the
          # refused connection with its backoff (converse keeps the SDK's 3 attempts).
          assert reason in [:connect, :connect_timeout, :timeout, :first_byte_timeout]
        end)

      assert first =~ "#{id} is Legacy"
      assert first =~ "anthropic.claude-opus-4-6-v1"

      second = capture_log(fn -> Bedrock.converse(request(id), @nowhere) end)
      refute second =~ "Legacy"
      assert %{state: :legacy} = Catalog.lifecycle(id)
      assert %{state: :active} = Catalog.lifecycle("anthropic.claude-sonnet-4-6")
      assert Catalog.lifecycle("vendor.unknown-model-v1:0") == nil
    end

    test "stream/2 and invoke_model_stream/3 log a Legacy model's warning once each way" do
      id = "anthropic.claude-opus-4-1-20250805-v1:0"

      # stream/2's catalog lookup (the API choice, before the start) logs it.
      :persistent_term.erase({Catalog, :legacy_warned, id})

      log =
        capture_log(fn ->
          {:ok, ref} = Bedrock.stream(request("us." <> id), @nowhere)
          assert_receive {:aybiza_bedrock, ^ref, {:error, _}}, 10_000
        end)

      assert log =~ "#{id} is Legacy"
      assert length(String.split(log, "is Legacy")) == 2

      # A raw model body takes no API choice: the warning comes after the start.
      :persistent_term.erase({Catalog, :legacy_warned, id})
      body = %{"max_tokens" => 10, "messages" => [%{"role" => "user", "content" => "hi"}]}

      log =
        capture_log(fn ->
          {:ok, ref} = Bedrock.invoke_model_stream("us." <> id, body, @nowhere)
          assert_receive {:aybiza_bedrock, ^ref, {:error, _}}, 10_000
        end)

      assert log =~ "#{id} is Legacy"
    end
  end

  describe "model id grammar" do
    test "path tricks fail as invalid requests before any network" do
      for id <- ["..", "../converse-stream", "anthropic.claude/../x", "us..anthropic.x", ""] do
        assert {:error, %Aybiza.Error{reason: :invalid_request, message: message}} =
                 Bedrock.converse(request(id), @nowhere)

        assert message =~ ~r/model_?[iI]d/
      end
    end

    test "a 1 MB unknown id costs no more than a short one (grammar first)" do
      huge = "anthropic.claude-" <> String.duplicate("x", 1_000_000)

      assert {:error, %Aybiza.Error{reason: :invalid_request, message: message}} =
               Catalog.get(huge)

      assert message =~ "2048"
      assert byte_size(message) < 500
    end
  end

  describe "sampling and thinking" do
    test "temperature with top_p on a model that forbids the pair" do
      assert {:error, %Aybiza.Error{reason: :invalid_request, message: message}} =
               Bedrock.converse(
                 request("global.anthropic.claude-sonnet-4-5-20250929-v1:0", %{
                   inference_config: %{max_tokens: 64, temperature: 0.3, top_p: 0.9}
                 }),
                 @nowhere
               )

      assert message =~ "cannot both be specified"
    end

    test "any sampling parameter on a model that takes none" do
      for extra <- [
            %{inference_config: %{max_tokens: 64, temperature: 0.3}},
            %{inference_config: %{max_tokens: 64, top_p: 0.9}},
            %{additional_model_request_fields: %{"top_k" => 50}}
          ] do
        assert {:error, %Aybiza.Error{reason: :invalid_request, message: message}} =
                 Bedrock.converse(request("us.anthropic.claude-opus-4-7", extra), @nowhere)

        assert message =~ "no sampling parameters"
      end

      assert {:error, %Aybiza.Error{reason: :invalid_request}} =
               Bedrock.invoke_model(
                 "us.anthropic.claude-opus-4-7",
                 %{"max_tokens" => 10, "temperature" => 1, "messages" => []},
                 @nowhere
               )
    end

    test "thinking on a model without it, or of a type it does not take" do
      enabled = %{
        additional_model_request_fields: %{
          "thinking" => %{"type" => "enabled", "budget_tokens" => 1024}
        },
        inference_config: %{max_tokens: 2048}
      }

      assert {:error, %Aybiza.Error{reason: :invalid_request, message: m1}} =
               Bedrock.converse(request("amazon.nova-pro-v1:0", enabled), @nowhere)

      assert m1 =~ "does not support extended thinking"

      assert {:error, %Aybiza.Error{reason: :invalid_request, message: m2}} =
               Bedrock.converse(request("us.anthropic.claude-opus-4-7", enabled), @nowhere)

      assert m2 =~ "adaptive"
    end
  end

  describe "profiles" do
    test "a profile-only base id is sent as the region's profile id" do
      {:ok, emulator} = Emulator.start_link(rules: [%{reply: "We open at nine."}])
      creds = Emulator.credentials(emulator)

      opts = [
        endpoint: Emulator.url(emulator),
        region: "eu-west-1",
        credentials: {:static, creds.access_key_id, creds.secret_access_key}
      ]

      assert {:ok, %{model_id: "eu.anthropic.claude-haiku-4-5-20251001-v1:0"}} =
               Bedrock.converse(request("anthropic.claude-haiku-4-5-20251001-v1:0"), opts)

      # From Japan the jp profile (smaller than apac/global) serves it.
      assert {:ok, %{model_id: "jp.anthropic.claude-haiku-4-5-20251001-v1:0"}} =
               Bedrock.converse(
                 request("claude-haiku-4-5"),
                 Keyword.put(opts, :region, "ap-northeast-1")
               )
    end

    test "a profile that cannot be called from the region is rejected" do
      assert {:error, %Aybiza.Error{reason: :invalid_request, message: message}} =
               Bedrock.converse(request("eu.anthropic.claude-sonnet-4-6"), @nowhere)

      assert message =~ "us-east-1"
      assert message =~ "eu-west-1"
    end
  end
end
