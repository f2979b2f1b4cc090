locals {
  名前 = "value"
  key = "日本語"  # comment
  ü = "umlaut"
  longer_key = "é"   # accent
}
