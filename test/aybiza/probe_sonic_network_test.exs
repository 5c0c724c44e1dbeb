defmodule Aybiza.ProbeSonicNetworkTest do
  # Nova Sonic against a misbehaving service (the emulator's faults on its bidirectional
  # route): a corrupt frame, a stream that ends cleanly mid-answer, a stream that stalls.
  # Each session ends with exactly one `{:error, %Aybiza.Error{}}` within its timeouts,
  # nothing after it, and the session is freed.
  use ExUnit.Case, async: false

  alias Aybiza.Bedrock.{Emulator, Sonic}

  @moduletag timeout: 120_000

  setup do
    on_exit(fn ->
      Enum.find_value(1..250, fn _ ->
        if Sonic.live_sessions() == 0, do: true, else: Process.sleep(20) && nil
      end)
    end)
  end

  defp terminals(s, acc \\ []) do
    receive do
      {:aybiza_bedrock, ^s, {t, _} = e} when t in [:done, :error] -> terminals(s, [e | acc])
      {:aybiza_bedrock, ^s, _} -> terminals(s, acc)
    after
      if(acc == [], do: 20_000, else: 500) -> Enum.reverse(acc)
    end
  end

  test "corrupt, truncated and stalled Sonic streams end once with an error" do
    emulator =
      start_supervised!({Emulator, [tls: true, sonic: [speed: 20, turn_silence_ms: 300]]})

    creds = Emulator.credentials(emulator)

    client = [
      region: "us-east-1",
      endpoint: Emulator.tls_url(emulator),
      tls_ca: Emulator.ca_pem(emulator),
      credentials: {:static, creds.access_key_id, creds.secret_access_key},
      timeouts: [idle: 2_000],
      response_timeout: 4_000
    ]

    for fault <- ["corrupt@3", "truncate@3", "stall@3"] do
      :ok = Emulator.set_faults(emulator, fault)
      {:ok, s} = Sonic.start_session(client)
      :ok = Sonic.send_text(s, "hello there")

      assert [{:error, %Aybiza.Error{}}] = terminals(s), fault
    end

    :ok = Emulator.set_faults(emulator, nil)
  end
end
