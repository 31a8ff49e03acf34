#include "assets.h"

#include "text.h"

namespace kt::mock {
namespace {

std::string decoded(std::string_view b64) {
  std::string out;
  base64_decode(b64, &out);
  return out;
}

const std::string& png() {
  static const std::string bytes = decoded(
      "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII"
      "=");
  return bytes;
}

const std::string& webp() {
  static const std::string bytes = decoded("UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==");
  return bytes;
}

const std::string& jpeg() {
  static const std::string bytes = decoded(
      "/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP//////////////////////////////////////////////////////////"
      "////////////////////////////wgALCAABAAEBAREA/8QAFBABAAAAAAAAAAAAAAAAAAAAAP/aAAgBAQABPxA=");
  return bytes;
}

}  // namespace

ImageAsset image_asset(std::string_view extension) {
  if (extension == "png") return {"image/png", &png()};
  if (extension == "webp") return {"image/webp", &webp()};
  if (extension == "jpg" || extension == "jpeg") return {"image/jpeg", &jpeg()};
  return {};
}

std::string image_data_uri(std::string_view extension) {
  ImageAsset a = image_asset(extension);
  if (a.content_type.empty()) a = image_asset("png");
  return "data:" + std::string(a.content_type) + ";base64," + base64_encode(*a.bytes);
}

}  // namespace kt::mock
