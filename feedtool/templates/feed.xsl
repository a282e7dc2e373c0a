<?xml version="1.0" encoding="UTF-8"?>
<!-- Shows an Atom or RSS feed as a readable page when it is opened in a browser.
     Feed readers ignore it; the feed itself is unchanged. Written by feedtool. -->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:atom="http://www.w3.org/2005/Atom"
    exclude-result-prefixes="atom">
  <xsl:output method="html" encoding="UTF-8" indent="yes" doctype-system="about:legacy-compat"/>

  <xsl:variable name="title" select="/atom:feed/atom:title | /rss/channel/title"/>
  <xsl:variable name="description" select="/atom:feed/atom:subtitle | /rss/channel/description"/>
  <xsl:variable name="home" select="/atom:feed/atom:link[not(@rel) or @rel='alternate']/@href | /rss/channel/link"/>
  <xsl:variable name="self" select="/atom:feed/atom:link[@rel='self']/@href | /rss/channel/atom:link[@rel='self']/@href"/>

  <xsl:template match="/">
    <html lang="zh-CN">
      <head>
        <meta charset="utf-8"/>
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <meta name="color-scheme" content="light dark"/>
        <title><xsl:value-of select="$title"/> · 订阅源</title>
        <style>
          body { max-width: 720px; margin: 0 auto; padding: 24px 16px 48px; color: #1f2937; background: #fff;
                 font: 16px/1.75 -apple-system, BlinkMacSystemFont, "PingFang SC", "Hiragino Sans GB",
                 "Microsoft YaHei", "Noto Sans CJK SC", "Source Han Sans SC", sans-serif; }
          .notice { background: #eff6ff; border: 1px solid #bfdbfe; border-radius: 8px; padding: 16px 20px; margin: 0 0 28px; }
          .notice h2 { margin: 0 0 8px; font-size: 18px; }
          .notice p { margin: 6px 0; }
          code { display: block; margin: 10px 0 4px; padding: 8px 10px; background: #fff; border: 1px solid #dbeafe;
                 border-radius: 6px; font-size: 14px; word-break: break-all; }
          h1 { font-size: 26px; margin: 0 0 4px; }
          .description { color: #6b7280; margin: 0 0 24px; }
          ol { list-style: none; padding: 0; margin: 0; }
          li { padding: 14px 0; border-top: 1px solid #e5e7eb; }
          li a { font-size: 18px; font-weight: 600; color: #111827; text-decoration: none; }
          li a:hover { color: #2563eb; text-decoration: underline; }
          .date { display: block; color: #6b7280; font-size: 14px; }
          @media (prefers-color-scheme: dark) {
            body { background: #111827; color: #e5e7eb; }
            .notice { background: #1e293b; border-color: #334155; }
            code { background: #0f172a; border-color: #334155; }
            li { border-color: #374151; } li a { color: #f9fafb; }
          }
        </style>
      </head>
      <body>
        <div class="notice">
          <h2>这是一个订阅源（RSS / Atom Feed）</h2>
          <p>这个页面是给阅读器看的：把下面的地址复制到你常用的阅读器（Feedly、Inoreader、NetNewsWire、Folo 等）里，有新文章时就会自动收到。</p>
          <code><xsl:value-of select="$self"/></code>
          <p>第一次听说订阅源？在阅读器里选择“添加订阅”，粘贴上面的地址即可。</p>
        </div>
        <h1><a href="{$home}" style="color: inherit; text-decoration: none;"><xsl:value-of select="$title"/></a></h1>
        <p class="description"><xsl:value-of select="$description"/></p>
        <ol>
          <xsl:apply-templates select="/atom:feed/atom:entry | /rss/channel/item"/>
        </ol>
      </body>
    </html>
  </xsl:template>

  <xsl:template match="atom:entry">
    <li>
      <a href="{atom:link[not(@rel) or @rel='alternate']/@href}"><xsl:value-of select="atom:title"/></a>
      <span class="date"><xsl:value-of select="substring(atom:published, 1, 10)"/></span>
    </li>
  </xsl:template>

  <xsl:template match="item">
    <li>
      <a href="{link}"><xsl:value-of select="title"/></a>
      <span class="date"><xsl:value-of select="substring(pubDate, 6, 11)"/></span>
    </li>
  </xsl:template>
</xsl:stylesheet>
