defmodule Aybiza.TlsCaTest do
  # `:tls_ca`: a CA trusted besides the platform's roots, here the emulator's own, so the
  # engine (SigV4 and the Messages API alike) talks HTTPS to it as it does to Bedrock.
  use ExUnit.Case, async: true

  alias Aybiza.Bedrock
  alias Aybiza.Bedrock.Emulator

  @model "us.anthropic.claude-haiku-4-5-20251001-v1:0"

  setup do
    emulator = start_supervised!({Emulator, tls: true})
    opts = Aybiza.Bedrock.TestHelpers.emulator_opts(emulator, Emulator.tls_url(emulator))
    %{opts: opts, ca: Emulator.ca_pem(emulator)}
  end

  defp request(model \\ @model),
    do: %{model_id: model, messages: [%{role: :user, content: "When are you open?"}]}

  test "HTTPS to the emulator with its CA, for Converse and the Messages API", %{
    opts: opts,
    ca: ca
  } do
    assert {:ok, %{text: text}} = Bedrock.converse(request(), [tls_ca: ca] ++ opts)
    assert text != ""

    assert {:ok, %{text: text}} =
             Bedrock.converse(request("us.anthropic.claude-opus-4-7"), [tls_ca: ca] ++ opts)

    assert text != ""
  end

  test "without the CA the certificate is not trusted", %{opts: opts} do
    assert {:error, %Aybiza.Error{reason: reason}} = Bedrock.converse(request(), opts)
    assert reason in [:connect, :protocol]
  end

  test "a bad CA is a clear error before any network", %{opts: opts} do
    assert_raise ArgumentError, ~r/:tls_ca must be PEM/, fn ->
      Bedrock.converse(request(), [tls_ca: "not a certificate"] ++ opts)
    end

    assert_raise ArgumentError, ~r/:tls_ca must be a PEM string/, fn ->
      Bedrock.converse(request(), [tls_ca: 42] ++ opts)
    end

    broken = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"

    assert {:error, %Aybiza.Error{reason: :invalid_config, message: "tls_ca: " <> _}} =
             Bedrock.converse(request(), [tls_ca: broken] ++ opts)
  end
end
