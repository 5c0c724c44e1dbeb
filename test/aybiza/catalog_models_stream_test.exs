defmodule Aybiza.CatalogModelsStreamTest do
  # Every callable catalog model served on Converse streams through the emulator, with
  # sentences and the catalog's exact cost, on the id the pre-flight rules send.
  use ExUnit.Case, async: true

  # Legacy models log their one-time warning here.
  @moduletag :capture_log

  import Aybiza.Bedrock.TestHelpers

  alias Aybiza.Bedrock
  alias Aybiza.Bedrock.{Catalog, Cost, Emulator}

  @reply "We open at nine tomorrow. See you then."

  setup do
    emulator = start_supervised!({Emulator, rules: [%{reply: @reply}]})
    creds = Emulator.credentials(emulator)

    opts = [
      endpoint: Emulator.url(emulator),
      region: "us-east-1",
      credentials: {:static, creds.access_key_id, creds.secret_access_key}
    ]

    %{opts: opts}
  end

  test "every Active or Legacy Converse model streams with sentences and exact cost", %{
    opts: opts
  } do
    models =
      for m <- Catalog.models(),
          :converse in m.apis,
          Catalog.lifecycle(m.id).state != :eol,
          do: m.id

    assert length(models) > 30

    failures = for id <- models, reason = failure(id, opts), do: "#{id}: #{reason}"

    assert failures == []
  end

  defp failure(id, opts) do
    request = %{
      model_id: id,
      messages: [%{role: :user, content: "When do you open?"}],
      inference_config: %{max_tokens: 64}
    }

    with {:ok, ref} <- Bedrock.stream(request, opts),
         events = collect_events(ref, 10_000),
         {:done, summary} <- List.last(events),
         [_ | _] <- sentences(events),
         {:ok, cost} <- Cost.calculate(summary.model_id, summary.usage) do
      if cost.nanodollars == summary.cost.nanodollars,
        do: nil,
        else: "cost #{summary.cost.nanodollars} != catalog #{cost.nanodollars}"
    else
      {:error, %Aybiza.Error{} = e} -> "#{e.reason}: #{e.message}"
      other -> "unexpected #{inspect(other, limit: 5)}"
    end
  end
end
