defmodule Mix.Tasks.Aybiza.Check do
  @shortdoc "Prints the health of aybiza_bedrock: credentials, endpoint, breakers, streams"
  @moduledoc """
  Starts the application and prints `Aybiza.Bedrock.health/1`: whether the credentials
  resolve and are accepted, whether the endpoint answers a CountTokens call (no inference,
  no charge), every circuit breaker's state per model and region, and the live streams.
  Exits with status 1 when the health is `:down`.

      mix aybiza.check
      mix aybiza.check --model anthropic.claude-haiku-4-5-20251001-v1:0 --region eu-west-1
      mix aybiza.check --endpoint http://127.0.0.1:4566 --no-count-tokens

  Options: `--model ID`, `--region REGION`, `--endpoint URL` (`emulator` for the embedded
  local emulator), `--no-count-tokens` (no network call). Credentials come from the
  application's configuration as for every call; they are never printed.
  """
  use Mix.Task

  @switches [model: :string, region: :string, endpoint: :string, count_tokens: :boolean]

  @impl true
  def run(argv) do
    {opts, rest, invalid} = OptionParser.parse(argv, strict: @switches)

    if rest != [] or invalid != [] do
      Mix.raise(
        "usage: mix aybiza.check [--model ID] [--region REGION] [--endpoint URL|emulator] [--no-count-tokens]"
      )
    end

    Mix.Task.run("app.start")

    health_opts =
      [
        model_id: opts[:model],
        region: opts[:region],
        endpoint: endpoint(opts[:endpoint]),
        count_tokens: Keyword.get(opts, :count_tokens, true)
      ]
      |> Enum.reject(fn {_k, v} -> is_nil(v) end)

    report = Aybiza.Bedrock.health(health_opts)
    Mix.shell().info(Aybiza.Bedrock.Health.format(report))

    if report.status == :down, do: exit({:shutdown, 1})
    report
  end

  defp endpoint(nil), do: nil
  defp endpoint("emulator"), do: :emulator
  defp endpoint(url), do: url
end
