// Tiny valid images (1x1 pixel) that kt-mock serves as generated outputs, by file extension.
#pragma once

#include <string>
#include <string_view>

namespace kt::mock {

struct ImageAsset {
  std::string_view content_type;  // empty when the extension is unknown
  const std::string* bytes = nullptr;
};

// "png", "webp", "jpg"/"jpeg"; unknown extensions give an empty content_type.
ImageAsset image_asset(std::string_view extension);

// data:<type>;base64,<bytes> for the asset of `extension` (png when unknown).
std::string image_data_uri(std::string_view extension);

}  // namespace kt::mock
