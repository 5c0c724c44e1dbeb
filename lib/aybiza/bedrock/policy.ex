defmodule Aybiza.Bedrock.Policy do
  # Deprecated name (before the turn folder layout): every function delegates to
  # `Aybiza.Bedrock.Turn.Policy`. Kept so host apps that call it keep compiling, with a warning.
  @moduledoc false

  @deprecated "Use Aybiza.Bedrock.Turn.Policy.defaults/0 (the policy moved into the turn folder)"
  defdelegate defaults(), to: Aybiza.Bedrock.Turn.Policy

  @deprecated "Use Aybiza.Bedrock.Turn.Policy.options!/1 (the policy moved into the turn folder)"
  defdelegate options!(opts), to: Aybiza.Bedrock.Turn.Policy

  @deprecated "Use Aybiza.Bedrock.Turn.Policy.backoff_ms/2 (the policy moved into the turn folder)"
  defdelegate backoff_ms(try, cfg), to: Aybiza.Bedrock.Turn.Policy

  @deprecated "Use Aybiza.Bedrock.Turn.Policy.breaker_failure?/1 (the policy moved into the turn folder)"
  defdelegate breaker_failure?(error), to: Aybiza.Bedrock.Turn.Policy

  @deprecated "Use Aybiza.Bedrock.Turn.Policy.next_step/3 (the policy moved into the turn folder)"
  defdelegate next_step(error, attempt, cfg), to: Aybiza.Bedrock.Turn.Policy

  @deprecated "Use Aybiza.Bedrock.Turn.Policy.fatal?/1 (the policy moved into the turn folder)"
  defdelegate fatal?(error), to: Aybiza.Bedrock.Turn.Policy
end

defmodule Aybiza.Bedrock.Policy.Models do
  # Deprecated name (before the turn folder layout): every function delegates to
  # `Aybiza.Bedrock.Turn.Policy.Models`. Kept so host apps that call it keep compiling, with a warning.
  @moduledoc false

  @deprecated "Use Aybiza.Bedrock.Turn.Policy.Models.facts/1 (the policy moved into the turn folder)"
  defdelegate facts(model_id), to: Aybiza.Bedrock.Turn.Policy.Models

  @deprecated "Use Aybiza.Bedrock.Turn.Policy.Models.chain/1 (the policy moved into the turn folder)"
  defdelegate chain(model_id), to: Aybiza.Bedrock.Turn.Policy.Models

  @deprecated "Use Aybiza.Bedrock.Turn.Policy.Models.faster/1 (the policy moved into the turn folder)"
  defdelegate faster(model_id), to: Aybiza.Bedrock.Turn.Policy.Models

  @deprecated "Use Aybiza.Bedrock.Turn.Policy.Models.nearest_regions/1 (the policy moved into the turn folder)"
  defdelegate nearest_regions(region), to: Aybiza.Bedrock.Turn.Policy.Models

  @deprecated "Use Aybiza.Bedrock.Turn.Policy.Models.geo_profile/2 (the policy moved into the turn folder)"
  defdelegate geo_profile(model_id, region), to: Aybiza.Bedrock.Turn.Policy.Models

  @deprecated "Use Aybiza.Bedrock.Turn.Policy.Models.invocable_id/2 (the policy moved into the turn folder)"
  defdelegate invocable_id(model_id, region), to: Aybiza.Bedrock.Turn.Policy.Models
end
