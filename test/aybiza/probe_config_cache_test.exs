defmodule Aybiza.ProbeConfigCacheTest do
  # Red-team probe of the NIF's cache of decoded client configurations (stream.rs
  # `client_config`: 8 kept, reused for an identical term only) and the engine's client and
  # credential caches behind it: processes at once cycling through more configurations than
  # are kept, half of them with a wrong secret, each differing from a good one in one field.
  # A call signed with another configuration's credentials would pass or fail the wrong way.
  use ExUnit.Case, async: false

  alias Aybiza.Bedrock.{Config, Emulator}
  alias Aybiza.Native

  @moduletag :emulator
  @moduletag timeout: 120_000
  @model "us.anthropic.claude-haiku-4-5-20251001-v1:0"

  setup do
    emulator = start_supervised!({Emulator, rules: [%{prompt_contains: "", reply: "Fine."}]})
    creds = Emulator.credentials(emulator)

    {:ok, config} =
      Config.client_config(
        endpoint: Emulator.url(emulator),
        region: "us-east-1",
        credentials: {:static, creds.access_key_id, creds.secret_access_key}
      )

    %{native: Config.native(config), secret: creds.secret_access_key}
  end

  defp terminal(ref) do
    receive do
      {:aybiza_bedrock, ^ref, {:done, _}} -> :done
      {:aybiza_bedrock, ^ref, {:error, e}} -> {:error, e.reason}
      {:aybiza_bedrock, ^ref, _} -> terminal(ref)
    after
      20_000 -> :no_terminal
    end
  end

  test "concurrent calls over 16 configurations (8 kept) each use their own", %{
    native: native,
    secret: secret
  } do
    configs =
      for n <- 1..16 do
        timeouts = Map.put(native.timeouts, :total, 60_000 + n)
        good? = rem(n, 2) == 0
        # A wrong secret of the same length: only the bytes differ.
        wrong = String.duplicate("x", byte_size(secret))

        credentials = %{
          native.credentials
          | secret_access_key: if(good?, do: secret, else: wrong)
        }

        {good?, %{native | timeouts: timeouts, credentials: credentials}}
      end

    request = %{model_id: @model, messages: [%{role: :user, content: "Hi"}]}
    opts = %{sentences: %{}, limits: %{}}

    results =
      1..8
      |> Task.async_stream(
        fn worker ->
          for i <- 1..24 do
            {good?, config} = Enum.at(configs, rem(worker * 7 + i * 5, 16))

            ref =
              case Native.start_call_small(:converse_stream, request, config, self(), opts) do
                {:ok, ref} ->
                  ref

                :dirty ->
                  {:ok, ref} = Native.start_call(:converse_stream, request, config, self(), opts)
                  ref
              end

            {good?, terminal(ref)}
          end
        end,
        timeout: 100_000,
        max_concurrency: 8
      )
      |> Enum.flat_map(fn {:ok, r} -> r end)

    assert length(results) == 8 * 24

    for {good?, result} <- results do
      if good? do
        assert result == :done
      else
        assert {:error, reason} = result
        assert reason in [:invalid_credentials, :access_denied], inspect(result)
      end
    end
  end
end
